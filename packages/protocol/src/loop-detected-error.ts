import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link LoopDetectedError}. */
export interface LoopDetectedErrorOptions {
  /** The hop trail the request arrived with (hub ids, oldest first). */
  hopTrail: readonly string[];
  /** `'revisit'`: the trail already holds this hub; `'max-hops'`: the trail is too long. */
  reason: 'revisit' | 'max-hops';
  /** The id of the hub that refused the request. */
  selfId: string;
  /** The maximum number of hops the hub accepts. */
  maxHops: number;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when a request would revisit a hub already in its hop trail, or has crossed more hubs
 * than allowed. Code `LOOP_DETECTED`. Usually thrown by `checkHopTrail`.
 *
 * @example
 * ```ts
 * throw new LoopDetectedError({ hopTrail: ['eu', 'us'], reason: 'revisit', selfId: 'eu', maxHops: 4 });
 * ```
 */
export class LoopDetectedError extends FedmcpError {
  static override readonly errorCode = 'LOOP_DETECTED' as const;

  constructor(options: LoopDetectedErrorOptions) {
    const trail = options.hopTrail.length === 0 ? '(empty)' : options.hopTrail.join(' → ');
    const message =
      options.reason === 'revisit'
        ? `Request loop detected: hub "${options.selfId}" is already in the hop trail ${trail}. Check the peer configuration for a cycle.`
        : `The request has already crossed ${options.hopTrail.length} hubs (${trail}); hub "${options.selfId}" accepts at most ${options.maxHops}. Shorten the peer chain or raise maxHops.`;
    super('LOOP_DETECTED', options.message ?? message, {
      cause: options.cause,
      data: {
        hopTrail: [...options.hopTrail],
        reason: options.reason,
        selfId: options.selfId,
        maxHops: options.maxHops,
        ...options.data,
      },
    });
    this.name = 'LoopDetectedError';
  }
}
