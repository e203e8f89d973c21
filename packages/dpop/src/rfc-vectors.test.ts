// Published test vectors: RFC 7638 §3.1 (JWK thumbprint) and the RFC 9449 examples (§4.1 token
// request proof, §6.1 jkt, §7.1 resource request proof with ath).
import { createFakeClock } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryReplayStore } from './memory-replay-store.js';
import { accessTokenHash, jwkThumbprint } from './thumbprint.js';
import { verifyDpopProof } from './verify.js';

// RFC 7638 §3.1. The published thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs
// (the SHA-256 octets 55, 54, 203, 177, … of the RFC).
const RFC7638_RSA_KEY = {
  kty: 'RSA',
  n:
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP' +
    'ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY' +
    '368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f' +
    'M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};

// RFC 9449 §4.1 (Figure 4; also the proof of the §5 token request).
const RFC9449_TOKEN_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19' +
  '.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ' +
  '.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';

// RFC 9449 §7.1 (Figure 13): a resource request with the access token below.
const RFC9449_RESOURCE_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19' +
  '.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9' +
  '.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA';
const RFC9449_ACCESS_TOKEN = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
const RFC9449_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

describe('RFC 7638 §3.1', () => {
  it('computes the thumbprint NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs for the RSA example key', () => {
    expect(jwkThumbprint(RFC7638_RSA_KEY)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});

describe('RFC 9449 examples', () => {
  it('computes the §6.1 jkt of the example key', () => {
    expect(
      jwkThumbprint({
        kty: 'EC',
        x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
        y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
        crv: 'P-256',
      }),
    ).toBe(RFC9449_JKT);
  });

  it('computes the §7.1 ath of the example access token', () => {
    expect(accessTokenHash(RFC9449_ACCESS_TOKEN)).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
  });

  it('accepts the §4.1 token request proof at its time, method and URL', async () => {
    const clock = createFakeClock(1_562_262_616_000);
    const result = await verifyDpopProof({
      proof: RFC9449_TOKEN_PROOF,
      method: 'POST',
      url: 'https://server.example.com/token',
      replay: createMemoryReplayStore({ now: clock.now }),
      now: clock.now,
    });
    expect(result).toMatchObject({ ok: true, jkt: RFC9449_JKT, jti: '-BwC3ESc6acc2lTc', iat: 1_562_262_616 });
  });

  it('accepts the §7.1 resource request proof with its access token and jkt', async () => {
    const clock = createFakeClock(1_562_262_618_000);
    const result = await verifyDpopProof({
      proof: RFC9449_RESOURCE_PROOF,
      method: 'GET',
      url: 'https://resource.example.org/protectedresource',
      accessToken: RFC9449_ACCESS_TOKEN,
      expectedJkt: RFC9449_JKT,
      replay: createMemoryReplayStore({ now: clock.now }),
      now: clock.now,
    });
    expect(result).toMatchObject({ ok: true, jkt: RFC9449_JKT, jti: 'e1j3V_bKic8-LAEB' });
  });

  it('refuses the §7.1 proof at the token endpoint, where no access token is presented', async () => {
    const clock = createFakeClock(1_562_262_618_000);
    const result = await verifyDpopProof({
      proof: RFC9449_RESOURCE_PROOF,
      method: 'GET',
      url: 'https://resource.example.org/protectedresource',
      replay: createMemoryReplayStore({ now: clock.now }),
      now: clock.now,
    });
    expect(result).toMatchObject({ ok: false, rule: 'ath' });
  });
});
