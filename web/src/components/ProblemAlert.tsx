// Shows a failed call: the API's problem title and detail (both in the UI's language: the client
// sends Accept-Language), or a network failure. A detail that only repeats the title is not shown twice.
import { Alert } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client.ts';

export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  const problem = error instanceof ApiProblem ? error.problem : null;
  const heading = title ?? problem?.title ?? t('errors.title');
  const detail = problem ? problem.detail : t('errors.network');
  return (
    <Alert color="red" title={heading} role="alert">
      {detail && detail.toLocaleLowerCase() !== heading.toLocaleLowerCase() ? detail : null}
    </Alert>
  );
}
