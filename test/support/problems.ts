// Assertions on problem+json answers, shared by the API tests.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** Asserts a problem+json answer with the given status and catalogue code; returns its body. */
export function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body.type).toBe(`urn:bul:error:${code}`);
  expect(body.status).toBe(status);
  return body;
}

/** Asserts a 400 validation-failed answer whose `errors[]` names `field` (with `rule`, if given). */
export function expectFieldError(res: LightMyRequestResponse, field: string, rule?: string) {
  const body = expectProblem(res, 400, 'validation-failed');
  const errors = body.errors as { field: string; rule: string }[];
  expect(
    errors.map((e) => e.field),
    res.body,
  ).toContain(field);
  const err = errors.find((e) => e.field === field)!;
  expect(err.rule).toBeTruthy();
  if (rule) expect(err.rule, res.body).toBe(rule);
  return body;
}
