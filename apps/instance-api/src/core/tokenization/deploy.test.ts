// The deploy payload: keccak-256 (Ethereum's) against published vectors, function selectors
// against the well-known ERC-20 ones, and the calldata of deployToken decoded word by word as the
// Solidity ABI lays it out (head of offsets and the address, then length-prefixed, zero-padded
// UTF-8 tails).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOKEN_FACTORY_ADDRESS,
  DEPLOY_TOKEN_SIGNATURE,
  encodeDeployToken,
  functionSelector,
  keccak256Hex,
  tokenAddressFor,
} from './deploy.js';

describe('keccak-256', () => {
  it('matches the published vectors (not NIST SHA3-256)', () => {
    expect(keccak256Hex('')).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(keccak256Hex('abc')).toBe('4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
    // SHA3-256("") is a7ffc6f8…; keccak-256 pads differently.
    expect(keccak256Hex('')).not.toMatch(/^a7ffc6f8/);
  });

  it('gives the well-known ERC-20 selectors', () => {
    expect(functionSelector('transfer(address,uint256)')).toBe('0xa9059cbb');
    expect(functionSelector('balanceOf(address)')).toBe('0x70a08231');
    expect(functionSelector('approve(address,uint256)')).toBe('0x095ea7b3');
    expect(functionSelector('totalSupply()')).toBe('0x18160ddd');
  });
});

/** Reads calldata as Solidity's ABI decoder would for (string, string, string, address). */
function decodeDeployToken(data: string) {
  expect(data).toMatch(/^0x[0-9a-f]+$/);
  const selector = data.slice(0, 10);
  const args = data.slice(10);
  expect(args.length % 64).toBe(0);
  const word = (byteOffset: number) => args.slice(byteOffset * 2, byteOffset * 2 + 64);
  const uint = (byteOffset: number) => Number.parseInt(word(byteOffset), 16);
  const string = (offset: number) => {
    const length = uint(offset);
    const start = (offset + 32) * 2;
    const padded = Math.ceil(length / 32) * 64;
    // The padding is zeros.
    expect(args.slice(start + length * 2, start + padded)).toMatch(/^0*$/);
    return Buffer.from(args.slice(start, start + length * 2), 'hex').toString('utf8');
  };
  const issuerWord = word(96);
  expect(issuerWord.slice(0, 24)).toBe('0'.repeat(24));
  return {
    selector,
    offsets: [uint(0), uint(32), uint(64)],
    name: string(uint(0)),
    symbol: string(uint(32)),
    isin: string(uint(64)),
    issuerAddress: `0x${issuerWord.slice(24)}`,
    bytes: args.length / 2,
  };
}

const ISSUER = `0x${'11'.repeat(20)}`;

describe('encodeDeployToken', () => {
  it('calls deployToken(string,string,string,address) by its keccak-256 selector', () => {
    expect(DEPLOY_TOKEN_SIGNATURE).toBe('deployToken(string,string,string,address)');
    const data = encodeDeployToken({
      name: 'Apple',
      symbol: 'AAPL',
      isin: 'US0378331005',
      issuerAddress: ISSUER,
    });
    expect(data.slice(0, 10)).toBe(functionSelector(DEPLOY_TOKEN_SIGNATURE));
    expect(data.slice(0, 10)).toBe(
      `0x${keccak256Hex('deployToken(string,string,string,address)').slice(0, 8)}`,
    );
  });

  it('lays out short strings exactly as the ABI does', () => {
    const data = encodeDeployToken({
      name: 'Apple',
      symbol: 'AAPL',
      isin: 'US0378331005',
      issuerAddress: ISSUER,
    });
    const hex = (text: string) => Buffer.from(text).toString('hex').padEnd(64, '0');
    const uint = (n: number) => n.toString(16).padStart(64, '0');
    expect(data).toBe(
      [
        functionSelector(DEPLOY_TOKEN_SIGNATURE),
        uint(0x80), // name: after the four head words
        uint(0xc0), // symbol: after name's length word and one data word
        uint(0x100), // isin
        `${'0'.repeat(24)}${'11'.repeat(20)}`,
        uint(5),
        hex('Apple'),
        uint(4),
        hex('AAPL'),
        uint(12),
        hex('US0378331005'),
      ].join(''),
    );
  });

  it('counts UTF-8 bytes, spans several words and pads only to the next word', () => {
    const name = 'Société Générale — Actions ordinaires nominatives'; // é and — are multi-byte
    const symbol = 'A'.repeat(32); // exactly one word: no padding word
    const call = { name, symbol, isin: 'FR0000130809', issuerAddress: `0x${'ab'.repeat(20)}` };
    const decoded = decodeDeployToken(encodeDeployToken(call));
    const nameBytes = Buffer.byteLength(name);
    expect(nameBytes).toBeGreaterThan(name.length);
    const nameWords = Math.ceil(nameBytes / 32);
    expect(decoded).toEqual({
      selector: functionSelector(DEPLOY_TOKEN_SIGNATURE),
      offsets: [128, 128 + 32 + nameWords * 32, 128 + 32 + nameWords * 32 + 64],
      name,
      symbol,
      isin: 'FR0000130809',
      issuerAddress: call.issuerAddress,
      bytes: 128 + 32 + nameWords * 32 + 64 + 64,
    });
  });
});

describe('addresses', () => {
  it('derives the token address from the instance and the ISIN only', () => {
    const a = tokenAddressFor('inst_000000000000000000000001', 'US0378331005');
    expect(a).toMatch(/^0x[0-9a-f]{40}$/);
    expect(tokenAddressFor('inst_000000000000000000000001', 'US0378331005')).toBe(a);
    expect(tokenAddressFor('inst_000000000000000000000002', 'US0378331005')).not.toBe(a);
    expect(tokenAddressFor('inst_000000000000000000000001', 'DE000BAY0017')).not.toBe(a);
    expect(a).toBe(
      `0x${keccak256Hex('portcullis:tokenization:v1:inst_000000000000000000000001:US0378331005').slice(24)}`,
    );
  });

  it('documents a default factory that is the hash of a public phrase', () => {
    expect(DEFAULT_TOKEN_FACTORY_ADDRESS).toBe(
      `0x${keccak256Hex('portcullis:tokenization:factory:v1').slice(24)}`,
    );
  });
});
