/** The Fly Machines config of a hub machine: image, config file, services, health check. */
import type { DeployPlan, ScaleOptions } from './provider.js';

/** A machine as the Machines API returns it (the fields the provider reads). */
export interface Machine {
  id: string;
  state: string;
  region: string;
  instance_id?: string;
  config: MachineConfig;
}

/** A machine config (`config` of a create or update request). */
export type MachineConfig = Record<string, unknown> & { services?: Array<Record<string, unknown>> };

/** Where the config file lands inside the machine. */
export const FLY_CONFIG_PATH = '/app/fedmcp.config.json';
const PORT = 8080;

/** The provider settings the machine config uses. */
export interface FlyMachineSettings {
  image?: string;
  autoStop?: 'off' | 'stop' | 'suspend';
  minMachinesRunning?: number;
}

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** One HTTP service on 80/443 with Fly Proxy's autostop / autostart / min running. */
export function flyServices(scale: ScaleOptions, settings: FlyMachineSettings) {
  return [
    {
      protocol: 'tcp',
      internal_port: PORT,
      ports: [
        { port: 443, handlers: ['tls', 'http'] },
        { port: 80, handlers: ['http'], force_https: true },
      ],
      concurrency: { type: 'requests', soft_limit: 20, hard_limit: 25 },
      autostop: scale.autoStop ?? settings.autoStop ?? 'stop',
      autostart: true,
      min_machines_running: scale.minMachinesRunning ?? settings.minMachinesRunning ?? 0,
    },
  ];
}

/** The machine config: `fedmcp serve` on port 8080, the config as a machine file, `/healthz`. */
export function flyMachineConfig(plan: DeployPlan, settings: FlyMachineSettings): MachineConfig {
  return {
    image: settings.image ?? 'ghcr.io/fedmcp/fedmcp:latest',
    env: { ...plan.vars, PORT: String(PORT) },
    init: {
      cmd: [
        'serve',
        '--host',
        '0.0.0.0',
        '--port',
        String(PORT),
        ...(plan.config === undefined ? [] : ['--config', FLY_CONFIG_PATH]),
      ],
    },
    ...(plan.config === undefined
      ? {}
      : { files: [{ guest_path: FLY_CONFIG_PATH, raw_value: toBase64(plan.config) }] }),
    guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 256 },
    services: flyServices({}, settings),
    checks: {
      healthz: {
        type: 'http',
        port: PORT,
        method: 'GET',
        path: '/healthz',
        interval: '15s',
        timeout: '2s',
        grace_period: '5s',
      },
    },
    restart: { policy: 'on-failure' },
    metadata: { fedmcp: 'hub' },
  };
}
