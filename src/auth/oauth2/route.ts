// GET handler for the RFC 9728 document. It sits outside the MCP pipeline:
// it must be readable without a token (that is how a client learns where to
// get one), and it reveals only what the config already publishes.

import type { RequestHandler } from 'express';
import type { OAuth2ResourceServer } from './resource-server.js';

export function protectedResourceMetadataRoute(rs: OAuth2ResourceServer): RequestHandler {
  const body = JSON.stringify(rs.metadata());
  return (_req, res) => {
    res.set({ 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' });
    res.status(200).send(body);
  };
}
