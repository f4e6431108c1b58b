// HTTP routes of invoices and their payments.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import {
  CreateInvoiceBody,
  CreatePaymentBody,
  Invoice,
  InvoiceListQuery,
  InvoicePaymentParams,
  Payment,
  UpdateInvoiceBody,
} from './invoice-schemas.ts';
import type { BusinessService } from './service.ts';

const RULES =
  "amountMinor > 0; currency is the organization's (default); dueOn not before issuedOn; clientId a client of this organization (400 naming the field); number unique in the organization (409).";

export const invoiceRoutes: FastifyPluginAsyncTypebox<{ business: BusinessService }> = async (
  app,
  { business },
) => {
  const invoices = business.invoices;

  app.get(
    '/invoices',
    {
      schema: {
        tags: ['invoices'],
        summary: 'Invoices with what was paid and their state, filtered and sorted',
        querystring: InvoiceListQuery,
        response: { 200: Page(Invoice) },
      },
      config: { access: requires('business:read') },
    },
    async (request) => invoices.list(callContext(request), request.query),
  );

  app.post(
    '/invoices',
    {
      schema: {
        tags: ['invoices'],
        summary: 'Record an invoice',
        description: RULES,
        body: CreateInvoiceBody,
        response: { 201: Invoice },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) => reply.code(201).send(await invoices.create(callContext(request), request.body)),
  );

  app.get(
    '/invoices/:id',
    {
      schema: { tags: ['invoices'], summary: 'One invoice', params: IdParams, response: { 200: Invoice } },
      config: { access: requires('business:read') },
    },
    async (request, reply) => {
      const invoice = await invoices.get(callContext(request), request.params.id);
      reply.header('etag', `"${invoice.version}"`);
      return invoice;
    },
  );

  app.patch(
    '/invoices/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['invoices'],
        summary: 'Change or void an invoice (honours If-Match)',
        description: `${RULES} An invoice with payments cannot be voided, lowered below what was paid, or change currency (409).`,
        params: IdParams,
        body: UpdateInvoiceBody,
        response: { 200: Invoice },
      },
      config: { access: requires('business:manage') },
    },
    async (request) =>
      invoices.update(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/invoices/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['invoices'],
        summary: 'Delete an invoice without payments (honours If-Match)',
        description: 'An invoice with payments is refused with 409: delete the payments first.',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) => {
      await invoices.delete(callContext(request), request.params.id, ifMatchVersion(request));
      return reply.code(204).send(null);
    },
  );

  // ---- payments --------------------------------------------------------------------------------
  app.get(
    '/invoices/:id/payments',
    {
      schema: {
        tags: ['invoices'],
        summary: "The invoice's payments, oldest first",
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(Payment), nextCursor: Type.Null() }) },
      },
      config: { access: requires('business:read') },
    },
    async (request) => ({
      items: await invoices.listPayments(callContext(request), request.params.id),
      nextCursor: null,
    }),
  );

  app.post(
    '/invoices/:id/payments',
    {
      schema: {
        tags: ['invoices'],
        summary: 'Record a payment on an invoice',
        description:
          "amountMinor > 0 and not above the invoice balance (409 with `balanceMinor`); currency is the invoice's (default; 400 otherwise); a void invoice takes no payments (409).",
        params: IdParams,
        body: CreatePaymentBody,
        response: { 201: Payment },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await invoices.createPayment(callContext(request), request.params.id, request.body)),
  );

  app.get(
    '/invoices/:id/payments/:paymentId',
    {
      schema: {
        tags: ['invoices'],
        summary: 'One payment',
        params: InvoicePaymentParams,
        response: { 200: Payment },
      },
      config: { access: requires('business:read') },
    },
    async (request, reply) => {
      const payment = await invoices.getPayment(
        callContext(request),
        request.params.id,
        request.params.paymentId,
      );
      reply.header('etag', `"${payment.version}"`);
      return payment;
    },
  );

  app.delete(
    '/invoices/:id/payments/:paymentId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['invoices'],
        summary: 'Delete a payment (honours If-Match)',
        params: InvoicePaymentParams,
        response: { 204: NoContent },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) => {
      await invoices.deletePayment(
        callContext(request),
        request.params.id,
        request.params.paymentId,
        ifMatchVersion(request),
      );
      return reply.code(204).send(null);
    },
  );
};
