// A role's name in the user's language: built-in roles by their key, custom roles as named.
import { useTranslation } from 'react-i18next';

export function useRoleName(): (role: { key: string | null; name: string }) => string {
  const { t } = useTranslation();
  return (role) =>
    role.key
      ? t(`admin.roles.builtin.${role.key}` as 'admin.roles.builtin.org_admin', { defaultValue: role.name })
      : role.name;
}
