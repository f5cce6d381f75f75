// The exposition gzip-compressed once per poll, for scrapers that accept gzip (Prometheus
// does by default). At 10k queues the text is ~13 MB and compresses ~30x; sending 13 MB
// per scrape, not compressing it, is what a scrape costs. A few fresh lines (the process
// metrics) are appended per scrape without compressing the rest again: the poll's part is
// raw deflate ended by a full flush (byte-aligned, not final), the tail is deflated on its
// own and finishes the stream, and the trailer's CRC-32 covers both. One gzip member,
// because some clients read only the first member of a multi-member gzip.
//
// The daemon compresses the poll's part in libuv's thread pool (deflateHeadAsync), so the
// thread that answers scrapes spends no time on it: compressed on the main thread, even in
// 1 MiB slices, it held scrapes ~20 ms per slice on a loaded machine (bench/scrape-p99.ts,
// 10k queues, ~20 MB of text). The output buffer is a few MiB, so the whole compression
// takes a couple of main-thread turns (with zlib's default 16 KiB chunks it needed one per
// 16 KiB, and under back-to-back scrapers came ready many seconds late). deflateSteps
// is the same compression on the calling thread, in slices.
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { drain, sliced } from '../slices.js';

const deflateRawAsync = promisify(deflateRaw);

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

/** CRC-32 of `plain` a slice at a time, yielding between slices. */
function* crcSteps(plain: Buffer): Generator<void, number> {
  let crc = 0;
  for (let offset = 0; offset < plain.length; offset += SLICE_BYTES) {
    crc = crc32(plain.subarray(offset, Math.min(offset + SLICE_BYTES, plain.length)), crc);
    yield;
  }
  return crc;
}

/**
 * The same head as deflateHead, compressed in libuv's thread pool (one raw deflate stream
 * ended by a full flush); only the CRC is computed on the calling thread, in slices.
 */
export async function deflateHeadAsync(plain: Buffer): Promise<DeflatedHead> {
  const deflating = deflateRawAsync(plain, { level: 1, finishFlush: constants.Z_FULL_FLUSH, chunkSize: Math.max(64 << 10, Math.min(8 << 20, plain.length >> 2)) });
  const crc = await sliced(crcSteps(plain));
  return { deflated: await deflating, crc, length: plain.length };
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
