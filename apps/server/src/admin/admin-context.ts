/** What the admin API reads and changes: the running hub's parts, handed over by the server. */
import type {
  Hub,
  HubStatus,
  HubStatusRequest,
  TaskAdmin,
  ToolPinning,
  UpstreamConfig,
} from '@fedmcp/federation';
import type { AuditLog, ConsentLedger, Policy } from '@fedmcp/proxy-auth';
import type { Store } from '@fedmcp/store';
import type { McpAuthenticate } from '@fedmcp/transports';
import type { ClusterChange } from '../cluster/cluster-changes.js';
import type { ReplicaRecord } from '../cluster/replica-membership.js';
import type { FedmcpConfig } from '../config/config-schema.js';
import type { OAuthTokenAdmin } from './routes/oauth-token-routes.js';
import type { SessionTracker } from './session-tracker.js';

/** The parts of a running fedmcp server the admin API works on. */
export interface AdminContext {
  hub: Hub;
  store: Store;
  audit: AuditLog;
  /** The policy in force (it changes on reload). */
  policy(): Policy;
  consent: ConsentLedger;
  /** Absent when pinning is off (`pinning.enabled: false`). */
  pinning?: ToolPinning;
  sessions: SessionTracker;
  tasks: TaskAdmin;
  /** The config in force. */
  config(): FedmcpConfig;
  /** The configured spec and options of an upstream from the config file, if it has one. */
  configuredUpstream(id: string): UpstreamConfig | undefined;
  /** The federated status (this hub, its peers and theirs). */
  status(request: HubStatusRequest): Promise<HubStatus>;
  /** The hub's authentication (API keys, OAuth, mTLS, peer tokens). */
  authenticate: McpAuthenticate;
  /** Upstream OAuth tokens (`/upstreams/{id}/oauth-tokens`); absent: no such routes. */
  upstreamOAuth?: OAuthTokenAdmin;
  /**
   * Present when replicas share the store: the live replicas, and the announcement of a change
   * made here that the other replicas apply.
   */
  cluster?: {
    replicaId: string;
    replicas(): Promise<ReplicaRecord[]>;
    announce(change: ClusterChange): Promise<void>;
  };
}

/**
 * What the admin API works on in a hub at the edge (`fedmcp deploy`): no processes, files,
 * replicas or session registry; the config as far as the edge hub has it.
 */
export type EdgeAdminContext = Pick<
  AdminContext,
  | 'hub'
  | 'store'
  | 'audit'
  | 'policy'
  | 'consent'
  | 'pinning'
  | 'tasks'
  | 'status'
  | 'authenticate'
  | 'upstreamOAuth'
> & {
  /** The config's peers and policy rules (what `/peers` and `/policy` show). */
  config(): {
    peers?: Readonly<Record<string, { url: string; import?: boolean }>>;
    policy?: { rules: readonly object[] };
  };
};
