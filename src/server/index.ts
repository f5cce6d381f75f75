// Public surface of the server stage: the daemon and its HTTP endpoints.
export { startAgent, health, type Agent, type ClusterRuntime } from './agent.js';
export { startHttpServer, acceptsGzip, basicAuthenticator, DEFAULT_LIMITS, type HttpServer, type Routes } from './http.js';
