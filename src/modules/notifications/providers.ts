// The provider adapter of each channel kind. One adapter per kind: a second provider of a kind
// (failover) is a second channel row with its own settings and credentials (two SMTP relays, two
// Twilio accounts), not another adapter.
import { discordIncoming, slackIncoming, teamsIncoming } from './channels/chat-webhooks.ts';
import { fcmPush } from './channels/fcm-push.ts';
import type { ChannelProvider, ProviderKind } from './channels/provider.ts';
import { signedWebhook } from './channels/signed-webhook.ts';
import { smtpEmail } from './channels/smtp-email.ts';
import { twilioSms } from './channels/twilio-sms.ts';
import { whatsAppCloud } from './channels/whatsapp-cloud.ts';

export type ProviderRegistry = Readonly<Record<ProviderKind, ChannelProvider>>;

export const PROVIDERS: ProviderRegistry = {
  email: smtpEmail as unknown as ChannelProvider,
  sms: twilioSms as unknown as ChannelProvider,
  push: fcmPush as unknown as ChannelProvider,
  webhook: signedWebhook as unknown as ChannelProvider,
  slack: slackIncoming as unknown as ChannelProvider,
  teams: teamsIncoming as unknown as ChannelProvider,
  discord: discordIncoming as unknown as ChannelProvider,
  whatsapp: whatsAppCloud as unknown as ChannelProvider,
};
