import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

// What a deploy answers besides the token record (SPEC §4.5: nothing is submitted on the caller's
// behalf): the unsigned call of a token factory's `deployToken(name, symbol, isin, issuer)`,
// ABI-encoded as Solidity encodes it, and the token's reference address.

/** The factory function a deploy payload calls. */
export const DEPLOY_TOKEN_SIGNATURE = 'deployToken(string,string,string,address)';

/**
 * The factory the payload is addressed to when the deployment names none (`TOKEN_FACTORY_ADDRESS`):
 * the last 20 bytes of keccak-256 of `portcullis:tokenization:factory:v1`, a placeholder nobody
 * holds the key of. A deployment that submits payloads sets its own factory.
 */
export const DEFAULT_TOKEN_FACTORY_ADDRESS = '0x0902f134d5fa01f4e7ddd879ec06bc9ccd876e32';

/**
 * keccak-256 (Ethereum's, not NIST SHA3-256) of the UTF-8 bytes of `text`, as 64 lowercase hex.
 *
 * @example
 * keccak256Hex('') // 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
 */
export function keccak256Hex(text: string): string {
  return bytesToHex(keccak_256(utf8ToBytes(text)));
}

/**
 * The 4-byte selector of a function signature: the first four bytes of its keccak-256.
 *
 * @example
 * functionSelector('transfer(address,uint256)') // '0xa9059cbb'
 */
export function functionSelector(signature: string): string {
  return `0x${keccak256Hex(signature).slice(0, 8)}`;
}

/**
 * The reference address of an instance's token for `isin`: the last 20 bytes of keccak-256 of
 * `portcullis:tokenization:v1:<instanceId>:<isin>`. Deterministic (a deploy of the same ISIN in
 * the same instance names the same token) and different per instance (the same ISIN in two
 * instances is two tokens). Neither part can hold a `:`, so no two pairs share the hashed text.
 * It keys the off-chain ledger; it is not the address a factory would give a contract on chain.
 *
 * @example
 * tokenAddressFor('inst_0123456789abcdef01234567', 'US0378331005') // '0x…' (40 hex)
 */
export function tokenAddressFor(instanceId: string, isin: string): string {
  return `0x${keccak256Hex(`portcullis:tokenization:v1:${instanceId}:${isin}`).slice(24)}`;
}

const DEPLOY_TOKEN_SELECTOR = functionSelector(DEPLOY_TOKEN_SIGNATURE);

/** A 32-byte ABI word holding the unsigned integer `value`. */
function uintWord(value: number): string {
  return value.toString(16).padStart(64, '0');
}

/** A string's ABI tail: its byte length, then its UTF-8 bytes right-padded to whole words. */
function stringTail(text: string): string {
  const bytes = utf8ToBytes(text);
  const padded = Math.ceil(bytes.length / 32) * 32;
  return uintWord(bytes.length) + bytesToHex(bytes).padEnd(padded * 2, '0');
}

/** The parties of a `deployToken` call. */
export interface DeployTokenCall {
  name: string;
  symbol: string;
  isin: string;
  /** `0x` + 40 hex. */
  issuerAddress: string;
}

/**
 * The calldata of `deployToken(string,string,string,address)`: the selector, then the head (the
 * three strings' offsets from the start of the arguments, and the address left-padded to a
 * word), then each string's tail in order.
 *
 * @example
 * encodeDeployToken({ name: 'Apple', symbol: 'AAPL', isin: 'US0378331005', issuerAddress: '0x11…11' })
 * // '0x9ba052f8' + '…0080' + '…00c0' + '…0100' + '…1111' + tails
 */
export function encodeDeployToken(call: DeployTokenCall): string {
  const tails = [call.name, call.symbol, call.isin].map(stringTail);
  const headBytes = 4 * 32;
  const offsets: string[] = [];
  let offset = headBytes;
  for (const tail of tails) {
    offsets.push(uintWord(offset));
    offset += tail.length / 2;
  }
  const issuer = call.issuerAddress.replace(/^0x/, '').toLowerCase().padStart(64, '0');
  return `${DEPLOY_TOKEN_SELECTOR}${offsets.join('')}${issuer}${tails.join('')}`;
}
