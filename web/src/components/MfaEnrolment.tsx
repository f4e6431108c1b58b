// The two halves of setting up TOTP: the QR code (with the key for manual entry) and the code
// that proves the app has it; then the one-time recovery codes, shown once.
import { Alert, Button, Code, Group, Image, List, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

export function QrAndCode(props: {
  secret: string;
  otpauthUrl: string;
  busy: boolean;
  error?: string | undefined;
  onCode: (code: string) => void;
}) {
  const { t } = useTranslation();
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState('');
  useEffect(() => {
    let live = true;
    // qrcode is only downloaded by the people who enrol.
    import('qrcode')
      .then((q) => q.toDataURL(props.otpauthUrl, { margin: 1, width: 200 }))
      .then((url) => live && setQr(url));
    return () => {
      live = false;
    };
  }, [props.otpauthUrl]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onCode(code.trim());
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">{t('mfa.scan')}</Text>
        {qr && <Image src={qr} alt={t('mfa.qrAlt')} w={200} h={200} />}
        <Text size="sm">{t('mfa.manual')}</Text>
        <Code data-testid="mfa-secret" style={{ wordBreak: 'break-all' }}>
          {props.secret}
        </Code>
        <TextInput
          label={t('auth.mfaCode')}
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          error={props.error}
          required
        />
        <Group>
          <Button type="submit" loading={props.busy}>
            {t('mfa.enable')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <Stack>
      <Alert color="yellow" title={t('mfa.recoveryTitle')}>
        {t('mfa.recoveryHelp')}
      </Alert>
      <List spacing={2} data-testid="recovery-codes">
        {codes.map((c) => (
          <List.Item key={c}>
            <Code>{c}</Code>
          </List.Item>
        ))}
      </List>
      <Group>
        <Button onClick={onDone}>{t('mfa.done')}</Button>
      </Group>
    </Stack>
  );
}
