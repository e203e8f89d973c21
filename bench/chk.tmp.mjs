import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
const child = spawn('taskset', ['-c','0',process.execPath, 'servers/mica-register.mjs'], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await once(createInterface({ input: child.stdout }), 'line');
const info = JSON.parse(line);
async function raw(port, path) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nx-api-key: ${info.key}\r\nConnection: close\r\n\r\n`));
    let n = 0; let head = ''; s.on('data', (c) => { if (!head) head = c.toString('latin1').split('\r\n\r\n')[0]; n += c.length; }); s.on('end', () => resolve({ n, headLen: head.length }));
  });
}
console.log('bare', await raw(info.barePort, '/'), 'mica', await raw(info.port, '/api/mica/v1/issuers'));
for (const [name, port, path] of [['bare', info.barePort, '/'], ['mica', info.port, '/api/mica/v1/issuers'], ['mica50', info.port, '/api/mica/v1/issuers?limit=99']]) {
  const out = execFileSync('taskset', ['-c','1','wrk','-t1','-c50','-d4s','-H',`x-api-key: ${info.key}`,`http://127.0.0.1:${port}${path}`]).toString();
  console.log(name, /Requests\/sec:\s+(\S+)/.exec(out)[1]);
}
console.log(await raw(info.port, '/api/mica/v1/issuers?limit=99'));
child.kill('SIGTERM');
