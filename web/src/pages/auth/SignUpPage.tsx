// Sign up: creates the user and their organization (POST /auth/register), then signs in.
import { Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { AuthFrame } from './AuthFrame.tsx';

type Locale = 'en' | 'es' | 'pt-BR';

export default function SignUpPage() {
  const { t, i18n } = useTranslation();
  const { reload } = useSession();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [orgName, setOrgName] = useState('');
  const [subdomain, setSubdomain] = useState('');
  const [subdomainTouched, setSubdomainTouched] = useState(false);

  const submit = useSubmit(async () => {
    const locale = (i18n.resolvedLanguage ?? 'en') as Locale;
    await call(
      api.POST('/api/v1/auth/register', {
        body: { name, email, password, locale, organization: { name: orgName, subdomain } },
      }),
    );
    await call(api.POST('/api/v1/auth/login', { body: { email, password, session: 'cookie' } }));
    await reload();
  });

  const onOrgName = (value: string) => {
    setOrgName(value);
    if (!subdomainTouched)
      setSubdomain(
        value
          .normalize('NFD')
          .replace(/[\u0300-\u036f]/g, '')
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 63),
      );
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };

  return (
    <AuthFrame title={t('auth.signUp')}>
      <form onSubmit={onSubmit} noValidate>
        <Stack>
          <ProblemAlert error={submit.formError} />
          <TextInput
            label={t('auth.yourName')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={submit.fieldError('name')}
            autoComplete="name"
            required
          />
          <TextInput
            label={t('auth.email')}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={submit.fieldError('email')}
            autoComplete="email"
            required
          />
          <PasswordInput
            visibilityToggleButtonProps={{ 'aria-label': t('auth.showPassword') }}
            label={t('auth.password')}
            description={t('auth.passwordHint')}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={submit.fieldError('password')}
            autoComplete="new-password"
            required
          />
          <TextInput
            label={t('auth.orgName')}
            value={orgName}
            onChange={(e) => onOrgName(e.currentTarget.value)}
            error={submit.fieldError('organization.name')}
            required
          />
          <TextInput
            label={t('auth.subdomain')}
            description={t('auth.subdomainHint')}
            value={subdomain}
            onChange={(e) => {
              setSubdomainTouched(true);
              setSubdomain(e.currentTarget.value);
            }}
            error={submit.fieldError('organization.subdomain')}
            required
          />
          <Button type="submit" loading={submit.busy}>
            {t('auth.signUp')}
          </Button>
          <Anchor component={Link} to="/login" size="sm">
            {t('auth.signInLink')}
          </Anchor>
        </Stack>
      </form>
    </AuthFrame>
  );
}
