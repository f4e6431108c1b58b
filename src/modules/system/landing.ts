// `/` when the web application has not been built (web/dist missing): a plain page that says what
// is running, how to build the web app, and where the API is.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PUBLIC } from '../../platform/http/request-context.ts';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>BUL</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
code{background:#f0f4f8;padding:.1rem .3rem;border-radius:3px}a{color:#0b69a3}</style></head>
<body><h1>BUL is running</h1>
<p>BUL is a self-hosted, multi-tenant enterprise operations platform. This server answers the API;
the web application is not built yet: run <code>npm run build</code> (or <code>npm start</code>, which builds it when missing) and reload.</p>
<ul>
<li><a href="/docs">API documentation</a> (OpenAPI 3.1, also as <a href="/docs/json">JSON</a>)</li>
<li>Create your organization: <code>POST /api/v1/auth/register</code> with
<code>{"email","password","name","organization":{"name","subdomain"}}</code>, then <code>POST /api/v1/auth/login</code>.</li>
<li>Create a platform super admin: <code>npx bul admin create --email you@example.com --name "You"</code></li>
<li><a href="/health">/health</a> · <a href="/ready">/ready</a> · <a href="/metrics">/metrics</a></li>
</ul></body></html>`;

export const landingRoute: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', { schema: { hide: true }, config: { access: PUBLIC } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(PAGE),
  );
};
