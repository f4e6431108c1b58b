// Forms: a submission's state (busy flag, the problem the API answered), and the one place that
// maps a problem's `errors[]` to the form's fields: beside each field the problem names, the
// server's own message, which is in the UI's language (the client sends Accept-Language); the
// catalogue's text for the rule only when there is none. A problem naming no field the form
// shows is shown above the form, so no refusal goes unexplained.
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client.ts';

/**
 * The messages of `error` (an ApiProblem or anything thrown) for a form: `fieldError(field)` for
 * each field by its dotted path in the request (or query), `formError` for the rest. Pass the
 * fields the form shows as `fields` when it does not show every field the API may name.
 */
export function useProblemFields(error: unknown, fields?: readonly string[]) {
  const { t } = useTranslation();
  const named = error instanceof ApiProblem ? error.fieldErrors : {};
  const shown = Object.keys(named).filter((f) => !fields || fields.includes(f));

  /** The message for one field, if the API named it. */
  const fieldError = (field: string): string | undefined => {
    const e = named[field];
    if (!e || !shown.includes(field)) return undefined;
    if (e.message) return e.message.charAt(0).toLocaleUpperCase() + e.message.slice(1);
    return t(`errors.rules.${e.rule}` as 'errors.rules.required', { defaultValue: '' }) || undefined;
  };

  /** The problem when it is not about a field shown (for an alert above the form). */
  const formError = shown.length > 0 ? null : (error ?? null);
  return { fieldError, formError };
}

export function useSubmit<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
  fields?: readonly string[],
) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setError(null);
      try {
        await action(...args);
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
    [action],
  );

  const { fieldError, formError } = useProblemFields(error, fields);
  return { busy, error, formError, fieldError, run, clear: () => setError(null) };
}
