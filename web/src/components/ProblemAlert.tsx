// Shows a failed call: the API's problem title and detail, or a network failure.
import { Alert } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client.ts';

export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  const problem = error instanceof ApiProblem ? error.problem : null;
  return (
    <Alert color="red" title={title ?? problem?.title ?? t('errors.title')} role="alert">
      {problem ? problem.detail : t('errors.network')}
    </Alert>
  );
}
