// Response and request body types read off the generated contract, for components to name.
import type { paths } from './schema';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Responses<P extends keyof paths, M extends Method> = Op<P, M> extends { responses: infer R } ? R : never;

/** The JSON body of the 200 (or 201) answer of an operation. */
export type Ok<P extends keyof paths, M extends Method = 'get'> =
  Responses<P, M> extends { 200: infer R }
    ? JsonOf<R>
    : Responses<P, M> extends { 201: infer R }
      ? JsonOf<R>
      : never;

/** The JSON request body of an operation. */
export type BodyOf<P extends keyof paths, M extends Method> =
  Op<P, M> extends {
    requestBody?: infer B;
  }
    ? JsonOf<NonNullable<B>>
    : never;

export type Me = Ok<'/api/v1/auth/me'>;
export type Project = Ok<'/api/v1/projects/{id}'>;
export type Task = Ok<'/api/v1/tasks/{id}'>;
export type Client = Ok<'/api/v1/clients/{id}'>;
export type Dashboard = Ok<'/api/v1/analytics/dashboard'>;
export type ProjectStatus = Project['status'];
export type TaskStatus = Task['status'];
