/**
 * The downstream client answered a relayed request (sampling, elicitation,
 * roots) with a JSON-RPC error. Carried back to the upstream that asked.
 */
export class ClientRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ClientRpcError';
  }
}
