// An invitee accepts in the browser: the link's token is filled in, a name and password create the
// account, and the new member signs in and lands where their role lets them (a viewer: projects).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserRig,
  chromiumAvailable,
  openPage,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { type Session, signUp, uniqueEmail } from './support/test-app.ts';

const hasChromium = chromiumAvailable();
let rig: BrowserRig;
let admin: Session;

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startBrowserRig();
  admin = await signUp(rig.app, { orgName: 'Convites Ltda' });
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

describe.skipIf(!hasChromium)('accepting an invitation in the browser', () => {
  it('creates the account from the link and signs the new member in', { timeout: 120_000 }, async () => {
    const roles = (
      await rig.app.request({ method: 'GET', url: '/api/v1/roles', headers: admin.headers })
    ).json().items as { id: string; key: string | null }[];
    const email = uniqueEmail('invitee');
    const inv = await rig.app.request({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: admin.headers,
      payload: { email, roleId: roles.find((r) => r.key === 'viewer')!.id },
    });
    expect(inv.statusCode, inv.body).toBe(201);

    const { context, page, problems, shot } = await openPage(rig, VIEWPORTS[1], {
      dir: 'web-invite',
      locale: 'pt-BR',
      // a too-short password, refused beside the field
      expectedHttpErrors: [{ status: 422, path: '/api/v1/invitations/accept' }],
    });
    try {
      await page.goto(`${rig.baseUrl}/invite?token=${encodeURIComponent(inv.json().token)}`);
      await page.getByRole('heading', { name: 'Entre na sua organização' }).waitFor();
      expect(await page.getByLabel('Código do convite').inputValue()).toBe(inv.json().token);
      await page.getByLabel('Seu nome').fill('Rafael Lima');
      await page.getByRole('textbox', { name: 'Senha' }).fill('short');
      await page.getByRole('button', { name: 'Aceitar o convite' }).click();
      await page.locator('.mantine-PasswordInput-root .mantine-InputWrapper-error').waitFor();
      await page.getByRole('textbox', { name: 'Senha' }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Aceitar o convite' }).click();
      await page.getByText('Você entrou na organização').waitFor();
      await shot('accepted');

      await page.getByRole('link', { name: 'Entrar' }).click();
      await page.getByLabel('E-mail').fill(email);
      await page.getByRole('textbox', { name: 'Senha' }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Entrar' }).click();
      // A viewer has no dashboard permission: home is the projects list.
      await page.getByRole('heading', { name: 'Projetos' }).waitFor();
      await shot('signed-in');
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
