// Compresses answers for callers that accept gzip: JSON (API bodies, problem documents, the
// OpenAPI document) and the types mime-db marks compressible (CSV, the web app's scripts and
// styles, /metrics). Streamed answers (exports, files) are compressed as they stream. Small
// buffered answers are sent as they are: compressing them costs more CPU than the bytes it saves.
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/** Bytes below which a buffered answer is not compressed (a signed-in /auth/me is about 1 KB). */
export const COMPRESS_THRESHOLD = 2048;

/**
 * JSON in all its forms. Replaces the plugin's default list, which also names octet-stream: an
 * attachment sent as that is most often a zip or an image already.
 */
const JSON_TYPES = /^application\/(?:[\w.-]+\+)?json(?:;|$)/;

/** Registers compression; call before any route is declared (it attaches itself to each route). */
export async function registerCompression(app: FastifyInstance): Promise<void> {
  await app.register(compress, {
    globalCompression: true,
    // Request bodies are read as sent: the body limit and the upload checks count real bytes.
    globalDecompression: false,
    // Not brotli: streaming, it holds twice its window (megabytes) before its first byte, so an
    // export would stall and buffer; on a whole answer it saves ~15 % more for twice the CPU.
    encodings: ['gzip'],
    threshold: COMPRESS_THRESHOLD,
    customTypes: JSON_TYPES,
  });
  // A stream that fails before its first byte (an export whose query breaks) becomes a problem
  // document: the encoding announced for the stream does not apply to it.
  app.addHook('onError', (_request, reply, _error, done) => {
    if (!reply.raw.headersSent) reply.removeHeader('content-encoding');
    done();
  });
}
