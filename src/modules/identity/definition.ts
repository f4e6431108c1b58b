// The identity module as the processes compose it: accounts, logins, API keys, the authenticator
// of every request, and the signing keys (reloaded in every process, so any can sign and verify).
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { ApiKeyService } from './api-key-service.ts';
import { Authenticator } from './authenticator.ts';
import { LoginLockout } from './lockout.ts';
import { identityRoutes, jwksRoute } from './routes.ts';
import { SecuritySignals } from './security-signals.ts';
import { IdentityService } from './service.ts';
import { SigningKeyRing } from './signing-keys.ts';

export const identityModule = defineModule({
  name: 'identity',
  needs: ['audit', 'tenancy'],
  build: (deps, { audit, tenancy }: { audit: AuditService; tenancy: TenancyService }) => {
    const { db, config, box } = deps;
    const keys = new SigningKeyRing({
      db,
      box,
      issuer: config.publicUrl,
      rotationSeconds: config.jwtKeyRotation,
      maxTokenSeconds: 15 * 60,
    });
    const lockout = new LoginLockout(deps.rateLimits.exact, config.lockout);
    // Threat detection (the security module) listens here once it is built.
    const securitySignals = new SecuritySignals(deps.onBackgroundError);
    return {
      keys,
      securitySignals,
      identity: new IdentityService({
        db,
        config,
        audit,
        tenancy,
        keys,
        box,
        lockout,
        signals: securitySignals,
      }),
      apiKeys: new ApiKeyService(db, audit),
      authenticator: new Authenticator({
        db,
        config,
        keys,
        tenancy,
        onError: deps.onBackgroundError,
        signals: securitySignals,
      }),
    };
  },
  routes: async (api, { services, deps }) => {
    const { identity, apiKeys, authenticator } = services;
    await api.register(identityRoutes, { identity, apiKeys, authenticator, config: deps.config });
  },
  rootRoutes: async (app, { services }) => {
    await app.register(jwksRoute, { keys: services.keys });
  },
  background: ({ services: { keys } }) => [
    { name: 'signing-keys', roles: ['api', 'worker'], start: () => keys.start(), stop: () => keys.stop() },
  ],
  permissions: ['api_keys:read', 'api_keys:manage'],
});
