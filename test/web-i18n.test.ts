// Issue 14, items 20 and 22 in a real Chromium: the web app sends its language (Accept-Language)
// on every API call and shows the server's messages as they come, in that language, without a
// local rule name glued in front ("Demasiado corto: must not be empty" was the bug). In English,
// Spanish and Brazilian Portuguese: a project named with spaces only is refused beside the Name
// field, and a wrong password at sign-in is explained in the page's language.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserRig,
  chromiumAvailable,
  openPage,
  signInWithCookie,
  startBrowserRig,
  VIEWPORTS,
} from './support/browser.ts';
import { signUp } from './support/test-app.ts';

const hasChromium = chromiumAvailable();

/** Refused on purpose: the blank project name and the wrong password. */
const EXPECTED_HTTP_ERRORS = [
  { status: 400, path: '/api/v1/projects' },
  { status: 401, path: '/api/v1/auth/login' },
];

const LANGUAGES = [
  {
    locale: 'en-US',
    newProject: 'New project',
    name: 'Name',
    create: 'Create',
    blank: 'Must not be empty',
    email: 'E-mail',
    password: 'Password',
    signIn: 'Sign in',
    wrongLogin: 'E-mail or password is wrong',
  },
  {
    locale: 'es',
    newProject: 'Nuevo proyecto',
    name: 'Nombre',
    create: 'Crear',
    blank: 'No debe estar vacío',
    email: 'Correo electrónico',
    password: 'Contraseña',
    signIn: 'Iniciar sesión',
    wrongLogin: 'El correo electrónico o la contraseña no son correctos',
  },
  {
    locale: 'pt-BR',
    newProject: 'Novo projeto',
    name: 'Nome',
    create: 'Criar',
    blank: 'Não pode ficar vazio',
    email: 'E-mail',
    password: 'Senha',
    signIn: 'Entrar',
    wrongLogin: 'E-mail ou senha incorretos',
  },
] as const;

let rig: BrowserRig;

beforeAll(async () => {
  if (hasChromium) rig = await startBrowserRig();
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

describe.skipIf(!hasChromium)('server messages in the UI language', () => {
  for (const lang of LANGUAGES) {
    it(`${lang.locale}: a blank project name and a wrong password`, { timeout: 90_000 }, async () => {
      const admin = await signUp(rig.app, { orgName: `Idiomas ${lang.locale}` });
      const { context, page, problems, shot } = await openPage(rig, VIEWPORTS[0], {
        dir: 'web-i18n',
        locale: lang.locale,
        expectedHttpErrors: EXPECTED_HTTP_ERRORS,
      });
      try {
        const sent: (string | null)[] = [];
        page.on('request', (r) => {
          if (new URL(r.url()).pathname.startsWith('/api/'))
            sent.push(r.headers()['accept-language'] ?? null);
        });

        // A wrong password, signed out.
        await page.goto(`${rig.baseUrl}/login`);
        await page.getByLabel(lang.email).fill(admin.email);
        await page.getByRole('textbox', { name: lang.password }).fill('not the password at all');
        await page.getByRole('button', { name: lang.signIn, exact: true }).click();
        await page.getByRole('alert').getByText(lang.wrongLogin).first().waitFor();
        await shot(`${lang.locale}-login`);

        // A project named with spaces only, signed in.
        await signInWithCookie(rig, context, admin.email);
        await page.goto(`${rig.baseUrl}/projects`);
        await page.getByRole('button', { name: lang.newProject }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByLabel(lang.name).first().fill('    ');
        await dialog.getByRole('button', { name: lang.create }).click();
        const error = dialog.locator('.mantine-InputWrapper-error').first();
        await error.waitFor();
        expect(await error.textContent()).toBe(lang.blank);
        await shot(`${lang.locale}-blank-name`);

        const language = lang.locale === 'en-US' ? 'en' : lang.locale;
        expect(sent.length).toBeGreaterThan(0);
        expect(new Set(sent)).toEqual(new Set([language]));
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });
  }
});
