// The exposition gzip-compressed once per poll, for scrapers that accept gzip (Prometheus
// does by default). At 10k queues the text is ~13 MB and compresses ~30x; sending 13 MB
// per scrape, not compressing it, is what a scrape costs. A few fresh lines (the process
// metrics) are appended per scrape without compressing the rest again: the poll's part is
// raw deflate ended by a full flush (byte-aligned, not final), the tail is deflated on its
// own and finishes the stream, and the trailer's CRC-32 covers both. One gzip member,
// because some clients read only the first member of a multi-member gzip.
//
// The poll's part is compressed in 1 MiB slices on the main thread, yielding between them
// (a few ms each), rather than in libuv's thread pool: the async zlib needs a main-thread
// turn per 16 KiB of output, and under back-to-back scrapers of the uncompressed text the
// compressed copy was measured not ready 20 s after the render (bench, 10k queues).
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { drain } from '../slices.js';

/** Header of a gzip member: deflate, no name, no mtime, unknown OS (RFC 1952). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);

const SLICE_BYTES = 1 << 20;

export interface DeflatedHead {
  deflated: Buffer;
  crc: number;
  length: number;
}

/**
 * Compresses `plain`, yielding after each slice. Each slice ends with a full flush, so
 * the slices' outputs concatenate into one valid raw deflate stream. Level 1: ~2 ms per
 * MiB of exposition, ~30x.
 */
export function* deflateSteps(plain: Buffer): Generator<void, DeflatedHead> {
  const parts: Buffer[] = [];
  let crc = 0;
  for (let offset = 0; offset < plain.length; offset += SLICE_BYTES) {
    const slice = plain.subarray(offset, Math.min(offset + SLICE_BYTES, plain.length));
    parts.push(deflateRawSync(slice, { level: 1, finishFlush: constants.Z_FULL_FLUSH }));
    crc = crc32(slice, crc);
    yield;
  }
  return { deflated: Buffer.concat(parts), crc, length: plain.length };
}

/** deflateSteps in one go. */
export function deflateHead(plain: Buffer): DeflatedHead {
  return drain(deflateSteps(plain));
}

/** A complete gzip body: the compressed head followed by `tail`. */
export function gzipWithTail(head: DeflatedHead, tail: Buffer): Buffer[] {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(tail, head.crc) >>> 0, 0);
  trailer.writeUInt32LE((head.length + tail.length) % 2 ** 32, 4);
  return [GZIP_HEADER, head.deflated, deflateRawSync(tail, { level: 1 }), trailer];
}
