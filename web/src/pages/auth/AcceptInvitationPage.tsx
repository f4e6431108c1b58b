// Accept an invitation: the token from the link (?token=) or pasted, a name for a new account and
// the password (a new one, or the existing account's). Then sign in.
import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { AuthFrame } from './AuthFrame.tsx';

export default function AcceptInvitationPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const [token, setToken] = useState(params.get('token') ?? '');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [accepted, setAccepted] = useState(false);

  const submit = useSubmit(async () => {
    await call(
      api.POST('/api/v1/invitations/accept', {
        body: { token: token.trim(), password, ...(name.trim() ? { name: name.trim() } : {}) },
      }),
    );
    setAccepted(true);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };

  return (
    <AuthFrame title={t('auth.inviteTitle')}>
      {accepted ? (
        <Stack>
          <Alert color="green" role="status">
            {t('auth.inviteDone')}
          </Alert>
          <Button component={Link} to="/login">
            {t('auth.signIn')}
          </Button>
        </Stack>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Stack>
            <ProblemAlert error={submit.formError} />
            <TextInput
              label={t('auth.inviteToken')}
              value={token}
              onChange={(e) => setToken(e.currentTarget.value)}
              error={submit.fieldError('token')}
              required
            />
            <TextInput
              label={t('auth.yourName')}
              description={t('auth.inviteNameHint')}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={submit.fieldError('name')}
              autoComplete="name"
            />
            <PasswordInput
              visibilityToggleButtonProps={{ 'aria-label': t('auth.showPassword') }}
              label={t('auth.password')}
              description={t('auth.invitePasswordHint')}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={submit.fieldError('password')}
              autoComplete="new-password"
              required
            />
            <Button type="submit" loading={submit.busy}>
              {t('auth.inviteAccept')}
            </Button>
            <Anchor component={Link} to="/login" size="sm">
              {t('auth.signInLink')}
            </Anchor>
          </Stack>
        </form>
      )}
    </AuthFrame>
  );
}
