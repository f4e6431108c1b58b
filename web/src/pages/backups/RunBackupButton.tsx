// "Run backup now": the type to take (full, incremental, differential, critical), then the backup
// is queued for a worker and its detail page opens, where its progress shows.
import { Button, Modal, Radio, Stack, Text } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, call } from '../../api/client.ts';
import { queryClient } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { BACKUP_TYPES, type BackupType, typeName } from './labels.ts';

export function RunBackupButton() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [type, setType] = useState<BackupType>('full');
  const submit = useSubmit(async () => {
    const run = await call(api.POST('/api/v1/backup/run', { body: { type } }));
    await queryClient.invalidateQueries({ queryKey: ['backups'] });
    setOpen(false);
    navigate(`/backups/runs/${run.id}`);
  }, ['type']);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <>
      <Button onClick={() => setOpen(true)}>{t('backups.run.now')}</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={t('backups.run.title')}>
        <form onSubmit={onSubmit} noValidate aria-label={t('backups.run.title')}>
          <Stack gap="sm">
            <ProblemAlert error={submit.formError} />
            <Radio.Group
              label={t('backups.type.label')}
              value={type}
              onChange={(v) => setType(v as BackupType)}
              error={submit.fieldError('type')}
            >
              <Stack gap="xs" mt="xs">
                {BACKUP_TYPES.map((x) => (
                  <Radio key={x} value={x} label={typeName(t, x)} description={t(`backups.typeHint.${x}`)} />
                ))}
              </Stack>
            </Radio.Group>
            <Text size="xs" c="dimmed">
              {t('backups.run.queuedNote')}
            </Text>
            <Button type="submit" loading={submit.busy}>
              {t('backups.run.start')}
            </Button>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
