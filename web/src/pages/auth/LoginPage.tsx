// Sign in with a browser session: e-mail and password, then the second step when the account
// has MFA (a TOTP code or a recovery code), or MFA enrolment when the organization requires it.
import { Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call } from '../../api/client.ts';
import type { Ok } from '../../api/types.ts';
import { QrAndCode, RecoveryCodes } from '../../components/MfaEnrolment.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { AuthFrame } from './AuthFrame.tsx';

type Step =
  | { kind: 'password' }
  | { kind: 'code'; mfaToken: string; recovery: boolean }
  | { kind: 'enrol'; mfaToken: string; setup: Ok<'/api/v1/auth/login/mfa/setup', 'post'> | null }
  | { kind: 'recovery-codes'; codes: string[] };

export default function LoginPage() {
  const { t } = useTranslation();
  const { reload } = useSession();
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');

  // Signed in: the route's guard (AnonymousOnly) then takes the user on to the page they came for.
  const finish = () => reload();

  const signIn = useSubmit(async () => {
    const r = await call(api.POST('/api/v1/auth/login', { body: { email, password, session: 'cookie' } }));
    if (r.status === 'authenticated') return finish();
    const mfaToken = r.mfaToken ?? '';
    if (r.enrollmentRequired) {
      const setup = await call(api.POST('/api/v1/auth/login/mfa/setup', { body: { mfaToken } }));
      setStep({ kind: 'enrol', mfaToken, setup });
    } else setStep({ kind: 'code', mfaToken, recovery: false });
  });

  const second = useSubmit(async (mfaToken: string, value: string, recovery: boolean) => {
    const body = recovery ? { mfaToken, recoveryCode: value } : { mfaToken, code: value };
    const r = await call(api.POST('/api/v1/auth/login/mfa', { body }));
    if (r.recoveryCodes?.length) setStep({ kind: 'recovery-codes', codes: r.recoveryCodes });
    else await finish();
  });

  const onPassword = (e: FormEvent) => {
    e.preventDefault();
    void signIn.run();
  };

  if (step.kind === 'recovery-codes')
    return (
      <AuthFrame title={t('mfa.recoveryTitle')}>
        <RecoveryCodes codes={step.codes} onDone={() => void finish()} />
      </AuthFrame>
    );

  if (step.kind === 'enrol')
    return (
      <AuthFrame title={t('auth.mfaTitle')}>
        <Stack>
          <Text size="sm">{t('auth.enrollRequired')}</Text>
          <ProblemAlert error={second.formError} />
          {step.setup && (
            <QrAndCode
              secret={step.setup.secret}
              otpauthUrl={step.setup.otpauthUrl}
              busy={second.busy}
              error={second.fieldError('code')}
              onCode={(c) => void second.run(step.mfaToken, c, false)}
            />
          )}
        </Stack>
      </AuthFrame>
    );

  if (step.kind === 'code')
    return (
      <AuthFrame title={t('auth.mfaTitle')}>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void second.run(step.mfaToken, code.trim(), step.recovery);
          }}
        >
          <Stack>
            <Text size="sm">{step.recovery ? t('auth.recoveryCode') : t('auth.mfaPrompt')}</Text>
            <ProblemAlert error={second.formError} />
            <TextInput
              label={step.recovery ? t('auth.recoveryCode') : t('auth.mfaCode')}
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
              inputMode={step.recovery ? 'text' : 'numeric'}
              autoComplete="one-time-code"
              error={second.fieldError(step.recovery ? 'recoveryCode' : 'code')}
              autoFocus
              required
            />
            <Button type="submit" loading={second.busy}>
              {t('auth.verify')}
            </Button>
            <Anchor
              component="button"
              type="button"
              size="sm"
              onClick={() => {
                second.clear();
                setCode('');
                setStep({ ...step, recovery: !step.recovery });
              }}
            >
              {step.recovery ? t('auth.useAuthenticator') : t('auth.useRecoveryCode')}
            </Anchor>
            <Anchor component="button" type="button" size="sm" onClick={() => setStep({ kind: 'password' })}>
              {t('auth.backToSignIn')}
            </Anchor>
          </Stack>
        </form>
      </AuthFrame>
    );

  return (
    <AuthFrame title={t('auth.signIn')}>
      <form onSubmit={onPassword} noValidate>
        <Stack>
          <ProblemAlert error={signIn.formError} />
          <TextInput
            label={t('auth.email')}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={signIn.fieldError('email')}
            autoComplete="username"
            required
          />
          <PasswordInput
            visibilityToggleButtonProps={{ 'aria-label': t('auth.showPassword') }}
            label={t('auth.password')}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={signIn.fieldError('password')}
            autoComplete="current-password"
            required
          />
          <Button type="submit" loading={signIn.busy}>
            {t('auth.signIn')}
          </Button>
          <Anchor component={Link} to="/signup" size="sm">
            {t('auth.signUpLink')}
          </Anchor>
        </Stack>
      </form>
    </AuthFrame>
  );
}
