import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
const child = spawn('taskset', ['-c', '0', process.execPath, 'servers/mica-register.mjs'], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await once(createInterface({ input: child.stdout }), 'line');
const info = JSON.parse(line);
for (const [name, port] of [['bare', info.barePort], ['mica', info.port]]) {
  const wrk = spawn('taskset', ['-c', '1', 'wrk', '-t1', '-c50', '-d6s', '-H', `x-api-key: ${info.key}`, `http://127.0.0.1:${port}/api/mica/v1/issuers`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out=''; wrk.stdout.on('data', c => out += c);
  await new Promise(r => setTimeout(r, 1500));
  const st = spawn('strace', ['-f', '-c', '-p', String(child.pid), '-e', 'trace=writev,write,read,epoll_wait,sendmsg,recvfrom'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err=''; st.stderr.on('data', c => err += c);
  await new Promise(r => setTimeout(r, 3000));
  st.kill('SIGINT'); await once(st, 'exit');
  await once(wrk, 'exit');
  console.log(name, out.split('\n').filter(l => /requests in|Requests\/sec/.test(l)).join(' | '));
  console.log(err.split('\n').filter(l => /writev|write|read|epoll|calls|total/.test(l)).join('\n'));
}
child.kill('SIGTERM');
