// Reads the "switchboard.*" settings and the secrets that go with them. Secrets (the hub token, a RabbitMQ URL that
// may carry a password) typed into settings are moved into SecretStorage (settings files are plain text and may be
// synced), then removed from settings. With no token chosen, one is generated once and kept in SecretStorage too.

import * as vscode from 'vscode';
import { Settings, TOKEN_SECRET_KEY } from './constants';
import type { ManagerSettings } from './model/hubManager';
import { toManagerSettings, type RawSettings } from './model/settingsModel';
import type { Logger } from '../protocol/logger';
import { newToken } from '../protocol/ids';
import { errorMessage } from '../protocol/errors';

/** A token generated once and kept, so the agent URL (and agents holding it) survive hub restarts. */
const GENERATED_TOKEN_KEY = 'switchboard.hub.generatedToken';
const RABBITMQ_URL_SECRET_KEY = 'switchboard.transport.rabbitmqUrl';

/** Settings whose value is a secret: where it goes, and what the log says about it. */
const SECRET_SETTINGS = [
  { setting: Settings.token, secret: TOKEN_SECRET_KEY, what: 'the hub token' },
  { setting: Settings.rabbitmqUrl, secret: RABBITMQ_URL_SECRET_KEY, what: 'the RabbitMQ URL' },
] as const;

export class SettingsReader {
  private token = '';
  private generated = '';
  private rabbitmqUrl = '';
  private initOnce: Promise<void> | undefined;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly defaultLogFolder: string,
    private readonly logger: Logger,
  ) {}

  /** Loads the stored secrets once (later calls share the first load); activation does not wait for it. */
  ready(): Promise<void> {
    this.initOnce ??= this.init();
    return this.initOnce;
  }

  /**
   * Loads the stored secrets and moves secrets found in settings into SecretStorage. Never rejects: where
   * SecretStorage does not work (a Linux desktop without a keyring), the hub still starts, with a token that lasts
   * this session.
   */
  private async init(): Promise<void> {
    try {
      await this.migrateSecretSettings();
      this.token = (await this.secrets.get(TOKEN_SECRET_KEY)) ?? '';
      this.rabbitmqUrl = (await this.secrets.get(RABBITMQ_URL_SECRET_KEY)) ?? '';
      this.generated = (await this.secrets.get(GENERATED_TOKEN_KEY)) ?? '';
      if (!this.generated) {
        this.generated = newToken();
        await this.secrets.store(GENERATED_TOKEN_KEY, this.generated);
      }
    } catch (err) {
      this.generated ||= newToken();
      this.logger.warn(
        `SecretStorage is not available (${errorMessage(err)}): using a token for this session only; agents need the new URL after VS Code restarts`,
      );
    }
  }

  async setToken(token: string): Promise<void> {
    await this.storeSecret(TOKEN_SECRET_KEY, token);
    this.token = token;
  }

  private async storeSecret(key: string, value: string): Promise<void> {
    if (value) await this.secrets.store(key, value);
    else await this.secrets.delete(key);
  }

  get hasStoredToken(): boolean {
    return this.token !== '';
  }

  /**
   * Moves every secret setting that has a value into SecretStorage and clears it from settings (every scope it was
   * set in). Returns the keys (relative to "switchboard.") that were moved.
   */
  async migrateSecretSettings(): Promise<string[]> {
    const cfg = vscode.workspace.getConfiguration(Settings.section);
    const moved: string[] = [];
    for (const { setting, secret, what } of SECRET_SETTINGS) {
      const value = cfg.get<string>(setting, '').trim();
      if (!value) continue;
      await this.storeSecret(secret, value);
      if (secret === TOKEN_SECRET_KEY) this.token = value;
      else this.rabbitmqUrl = value;
      const inspect = cfg.inspect<string>(setting);
      const targets: [unknown, vscode.ConfigurationTarget][] = [
        [inspect?.globalValue, vscode.ConfigurationTarget.Global],
        [inspect?.workspaceValue, vscode.ConfigurationTarget.Workspace],
        [inspect?.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder],
      ];
      for (const [v, target] of targets) {
        if (v !== undefined) await cfg.update(setting, undefined, target).then(undefined, () => undefined);
      }
      this.logger.info(`moved ${what} from settings into SecretStorage`);
      moved.push(setting);
    }
    return moved;
  }

  read(): ManagerSettings {
    const cfg = vscode.workspace.getConfiguration(Settings.section);
    const raw: RawSettings = {
      host: cfg.get(Settings.host),
      port: cfg.get(Settings.port),
      autoStart: cfg.get(Settings.autoStart),
      pingInterval: cfg.get(Settings.pingInterval),
      inactivityTimeout: cfg.get(Settings.inactivityTimeout),
      heartbeatInterval: cfg.get(Settings.heartbeatInterval),
      seedCompat: cfg.get(Settings.seedCompat),
      logRingSize: cfg.get(Settings.logRingSize),
      logFolder: cfg.get(Settings.logFolder),
      transportKind: cfg.get(Settings.transportKind),
      kafkaBrokers: cfg.get(Settings.kafkaBrokers),
      grpcPort: cfg.get(Settings.grpcPort),
      topicStore: cfg.get(Settings.topicStore),
    };
    return toManagerSettings(raw, { token: this.token || this.generated, rabbitmqUrl: this.rabbitmqUrl }, this.defaultLogFolder);
  }

  demoCount(): number {
    const n = vscode.workspace.getConfiguration(Settings.section).get<number>(Settings.demoCount, 5);
    return Math.min(50, Math.max(1, Math.round(n)));
  }
}
