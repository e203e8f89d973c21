import { describe, expect, it } from 'vitest';
import { defineCatalog } from '../catalog.js';
import { credentialEndpointErrors, tokenEndpointErrors } from '../catalogs/oauth.js';
import { quotedString, renderOAuth, wwwAuthenticate } from './oauth.js';

describe('renderOAuth', () => {
  it('renders a token endpoint error as a 400 without a challenge (RFC 6749 §5.2)', () => {
    expect(renderOAuth(tokenEndpointErrors.error('invalid_grant'))).toEqual({
      status: 400,
      headers: { 'cache-control': 'no-store' },
      body: {
        error: 'invalid_grant',
        error_description: 'Pre-authorized code is expired or has already been used',
      },
    });
  });

  it('passes the DPoP-Nonce of use_dpop_nonce through at the token endpoint (RFC 9449 §8)', () => {
    const out = renderOAuth(
      tokenEndpointErrors.error('use_dpop_nonce', { headers: { 'DPoP-Nonce': 'eyJ7S_zG.9' } }),
    );
    expect(out).toEqual({
      status: 400,
      headers: { 'dpop-nonce': 'eyJ7S_zG.9', 'cache-control': 'no-store' },
      body: {
        error: 'use_dpop_nonce',
        error_description: 'Authorization server requires nonce in DPoP proof',
      },
    });
  });

  it('adds a DPoP challenge with algs on a 401 (SPEC §6.1, RFC 9449 §7.1)', () => {
    expect(renderOAuth(credentialEndpointErrors.error('invalid_token'))).toEqual({
      status: 401,
      headers: {
        'cache-control': 'no-store',
        'www-authenticate':
          'DPoP error="invalid_token", error_description="The access token is invalid or expired", algs="ES256 EdDSA"',
      },
      body: { error: 'invalid_token', error_description: 'The access token is invalid or expired' },
    });
  });

  it('sends DPoP-Nonce with use_dpop_nonce at the credential endpoint (RFC 9449 §9)', () => {
    const out = renderOAuth(
      credentialEndpointErrors.error('use_dpop_nonce', { headers: { 'DPoP-Nonce': 'n-2' } }),
    );
    expect(out.status).toBe(401);
    expect(out.headers).toEqual({
      'dpop-nonce': 'n-2',
      'cache-control': 'no-store',
      'www-authenticate':
        'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 EdDSA"',
    });
  });

  it('uses a Bearer challenge without algs, with realm and custom algs when asked', () => {
    const err = credentialEndpointErrors.error('invalid_token', {
      message: 'endpoint requires DPoP binding',
    });
    expect(renderOAuth(err, { scheme: 'Bearer', algs: ['ES256'] }).headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="endpoint requires DPoP binding"',
    );
    expect(
      renderOAuth(err, { scheme: 'DPoP', algs: ['EdDSA'], realm: 'tcs' }).headers['www-authenticate'],
    ).toBe(
      'DPoP realm="tcs", error="invalid_token", error_description="endpoint requires DPoP binding", algs="EdDSA"',
    );
  });

  it('keeps cache-control and www-authenticate even when the error tries to set them', () => {
    const err = credentialEndpointErrors.error('invalid_token', {
      headers: { 'Cache-Control': 'public, max-age=600', 'WWW-Authenticate': 'Basic' },
    });
    const out = renderOAuth(err, { scheme: 'Bearer' });
    expect(out.headers['cache-control']).toBe('no-store');
    expect(out.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });

  it('masks anything unexposed as 500 server_error', () => {
    const serverError = {
      status: 500,
      headers: { 'cache-control': 'no-store' },
      body: { error: 'server_error', error_description: 'Internal server error' },
    };
    expect(renderOAuth(new Error('jwks fetch failed: token=abc'))).toEqual(serverError);
    const hidden = defineCatalog({ replay_store_down: { status: 500, message: 'redis SET NX failed' } });
    expect(renderOAuth(hidden.error('replay_store_down'))).toEqual(serverError);
    expect(renderOAuth(null)).toEqual(serverError);
  });

  describe('WWW-Authenticate escaping (RFC 9110 §5.6.4)', () => {
    const challengeFor = (message: string) =>
      renderOAuth(credentialEndpointErrors.error('invalid_token', { message })).headers['www-authenticate'];

    it('escapes double quotes and backslashes in the description', () => {
      expect(challengeFor('bad "kid" in C:\\keys')).toBe(
        'DPoP error="invalid_token", error_description="bad \\"kid\\" in C:\\\\keys", algs="ES256 EdDSA"',
      );
    });

    it('never emits CR or LF, so a description cannot add a header', () => {
      const header = challengeFor('x"\r\nSet-Cookie: session=1\r\n\r\n<html>');
      expect(header).not.toMatch(/[\r\n]/);
      expect(header).toBe(
        'DPoP error="invalid_token", error_description="x\\"  Set-Cookie: session=1    <html>", algs="ES256 EdDSA"',
      );
    });

    it('keeps the body description as given (JSON escapes it)', () => {
      const out = renderOAuth(credentialEndpointErrors.error('invalid_token', { message: 'a "b" \\ c' }));
      expect(out.body.error_description).toBe('a "b" \\ c');
    });

    it('replaces non-ASCII and control characters and bounds the length', () => {
      expect(quotedString('caf\u00e9 \u{1f600}\t\0')).toBe('"caf? ??  "');
      expect(quotedString('a'.repeat(1000))).toHaveLength(258);
    });

    it('escapes realm and algs as well', () => {
      expect(wwwAuthenticate('DPoP', {}, { realm: 'r"\\', algs: ['ES"256'] })).toBe(
        'DPoP realm="r\\"\\\\", algs="ES\\"256"',
      );
      expect(wwwAuthenticate('Bearer', {})).toBe('Bearer');
    });
  });
});
