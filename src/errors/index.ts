export { ERROR_CODES, JsonRpc, type ErrorCode, type ErrorSpec } from './codes.js';
export { HatagoError, isHatagoError } from './hatago-error.js';
export { toJsonRpcError, type JsonRpcErrorBody, type JsonRpcId } from './to-response.js';
export { CURL_DOC, envelopeHelp, helpFor } from './help.js';
