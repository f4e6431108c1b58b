// Satisfaction feedback: a score 1–5 about a client, a project or both (at least one), received on
// a day (default today in the organization's time zone). Average satisfaction is computed from it.
import { newId } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import { invalidField, notFound } from '../../platform/errors.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import { diff } from '../audit/service.ts';
import { orgBook, translated } from './common.ts';
import type { BusinessDeps } from './deps.ts';
import type {
  CreateFeedbackInput,
  FeedbackDto,
  FeedbackListQueryType,
  UpdateFeedbackInput,
} from './feedback-schemas.ts';
import * as store from './feedback-store.ts';
import { BUSINESS } from './messages.ts';

export function feedbackToDto(f: store.FeedbackRow): FeedbackDto {
  return {
    id: f.id,
    clientId: f.client_id,
    projectId: f.project_id,
    score: f.score,
    comment: f.comment,
    receivedOn: f.received_on,
    createdAt: f.created_at.toISOString(),
    updatedAt: f.updated_at.toISOString(),
    version: f.version,
  };
}

export class FeedbackService {
  private readonly deps: BusinessDeps;

  constructor(deps: BusinessDeps) {
    this.deps = deps;
  }

  async list(ctx: CallContext, q: FeedbackListQueryType): Promise<PageOf<FeedbackDto>> {
    const page = await this.deps.db.transaction(tenantScope(ctx), (tx) => store.listFeedback(tx, q));
    return { items: page.items.map(feedbackToDto), nextCursor: page.nextCursor };
  }

  async get(ctx: CallContext, id: string): Promise<FeedbackDto> {
    const row = await this.deps.db.transaction(tenantScope(ctx), (tx) => store.getFeedback(tx, id));
    if (!row) throw notFound('feedback');
    return feedbackToDto(row);
  }

  create(ctx: CallContext, body: CreateFeedbackInput): Promise<FeedbackDto> {
    return translated(
      this.deps.audit.change(ctx, async (tx, record, s) => {
        const { today } = await orgBook(tx, this.deps.tenancy);
        const fields: store.FeedbackFields = {
          client_id: body.clientId ?? null,
          project_id: body.projectId ?? null,
          score: body.score,
          comment: body.comment ?? '',
          received_on: body.receivedOn ?? today,
        };
        await this.check(tx, fields, body);
        const row = await store.insertFeedback(tx, s.orgId, newId(), fields);
        await record({
          action: 'feedback.create',
          resourceType: 'feedback',
          resourceId: row.id,
          changes: diff(null, row, store.FEEDBACK_EDITABLE),
        });
        return feedbackToDto(row);
      }),
    );
  }

  update(
    ctx: CallContext,
    id: string,
    body: UpdateFeedbackInput,
    expectedVersion?: number,
  ): Promise<FeedbackDto> {
    return translated(
      this.deps.audit.change(ctx, async (tx, record) => {
        const before = await store.getFeedback(tx, id, true);
        if (!before) throw notFound('feedback');
        assertVersion(before.version, expectedVersion, 'feedback');
        const fields: Partial<store.FeedbackFields> = {};
        if (body.clientId !== undefined) fields.client_id = body.clientId;
        if (body.projectId !== undefined) fields.project_id = body.projectId;
        if (body.score !== undefined) fields.score = body.score;
        if (body.comment !== undefined) fields.comment = body.comment;
        if (body.receivedOn !== undefined) fields.received_on = body.receivedOn;
        const merged = { ...before, ...fields };
        await this.check(tx, merged, body);
        const changes = diff(before, merged, store.FEEDBACK_EDITABLE);
        if (!changes) return feedbackToDto(before);
        const after = await store.updateFeedback(tx, id, fields);
        await record({
          action: 'feedback.update',
          resourceType: 'feedback',
          resourceId: id,
          changes,
        });
        return feedbackToDto(after);
      }),
    );
  }

  async delete(ctx: CallContext, id: string, expectedVersion?: number): Promise<void> {
    await this.deps.audit.change(ctx, async (tx, record) => {
      const before = await store.getFeedback(tx, id, true);
      if (!before) throw notFound('feedback');
      assertVersion(before.version, expectedVersion, 'feedback');
      await store.deleteFeedback(tx, id);
      await record({
        action: 'feedback.delete',
        resourceType: 'feedback',
        resourceId: id,
        changes: diff(before, null, store.FEEDBACK_EDITABLE),
      });
    });
  }

  /** Feedback is about a client, a project or both, each of this organization. */
  private async check(tx: Sql, f: store.FeedbackFields, given: UpdateFeedbackInput): Promise<void> {
    if (f.client_id === null && f.project_id === null) {
      const field = given.projectId !== undefined && given.clientId === undefined ? 'projectId' : 'clientId';
      throw invalidField(field, 'clientOrProject', BUSINESS.clientOrProject());
    }
    if (given.clientId && !(await this.deps.work.clients.exists(tx, given.clientId))) {
      throw invalidField('clientId', 'exists', COMMON.noSuch({ what: resourceName('client') }));
    }
    if (given.projectId && !(await this.deps.work.projects.exists(tx, given.projectId))) {
      throw invalidField('projectId', 'exists', COMMON.noSuch({ what: resourceName('project') }));
    }
  }
}
