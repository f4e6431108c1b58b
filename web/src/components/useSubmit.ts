// A form's submission state: busy flag, the problem the API answered, and the message to show
// beside each field the problem names: the server's own message, which is in the UI's language
// (the client sends Accept-Language); the catalogue's text for the rule only when there is none.
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client.ts';

export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const { t } = useTranslation();
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

  /** The message for one field (its dotted path in the request body), if the API named it. */
  const fieldError = (field: string): string | undefined => {
    if (!(error instanceof ApiProblem)) return undefined;
    const e = error.fieldErrors[field];
    if (!e) return undefined;
    if (e.message) return e.message.charAt(0).toLocaleUpperCase() + e.message.slice(1);
    return t(`errors.rules.${e.rule}` as 'errors.rules.required', { defaultValue: '' }) || undefined;
  };

  /** The problem when it is not about a named field (shown above the form). */
  const formError =
    error instanceof ApiProblem && Object.keys(error.fieldErrors).length > 0 ? null : (error ?? null);

  return { busy, error, formError, fieldError, run, clear: () => setError(null) };
}
