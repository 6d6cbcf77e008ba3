#!/usr/bin/env python3
"""Before/after figures for issue 10's engine rows (hostile requests).

    python3 scripts/hostile-figures.py <mock-redis binary> [case ...]

Cases: lcs restore algebra strings rand debug config inline auth nul (all
by default). Each case starts the binary on a fresh port (under a 6 GB
address-space limit, so a runaway allocation fails instead of swapping),
sends the requests and prints the reply, the time taken and the process's
peak RSS (VmHWM). Compare a build from before the hardening with one from
`cargo build --release --features cli` (target/release/mock-redis).
Timings depend on the machine's load; the replies and peaks do not.
"""
POLY=0x95ac9329ac4bc9b5
T=[]
for i in range(256):
    c=i
    for _ in range(8): c=(c>>1)^POLY if c&1 else c>>1
    T.append(c)
def crc(d):
    c=0
    for b in d: c=T[(c^b)&0xff]^(c>>8)
    return c
def pay(body):
    b=body+struct.pack('<H',10)
    return b+struct.pack('<Q',crc(b))
def resp(*args):
    out=b'*%d\r\n'%len(args)
    for a in args:
        if isinstance(a,str): a=a.encode()
        out+=b'$%d\r\n'%len(a)+a+b'\r\n'
    return out

import socket, subprocess, sys, time, os, struct
BIN=sys.argv[1]; only=sys.argv[2:] 
PORT=7300
def start():
    global PORT
    PORT+=1
    import resource
    p=subprocess.Popen([BIN,'--port',str(PORT)],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS,(6<<30,6<<30)))
    for _ in range(100):
        try: socket.create_connection(('127.0.0.1',PORT)).close(); break
        except: time.sleep(0.05)
    return p
def hwm(p):
    try:
        for l in open('/proc/%d/status'%p.pid):
            if l.startswith('VmHWM'): return l.split()[1]+' kB'
    except: return 'gone'
class C:
    def __init__(s): s.s=socket.create_connection(('127.0.0.1',PORT)); s.s.settimeout(120); s.f=s.s.makefile('rb')
    def read(s):
        line=s.f.readline()
        if not line: return '<closed>'
        t=line[:1]
        if t in b'+-:': return line[:-2].decode(errors='replace')
        if t==b'$':
            n=int(line[1:]); 
            if n<0: return None
            return s.f.read(n+2)[:-2]
        if t in b'*~':
            n=int(line[1:]); return [s.read() for _ in range(n)]
        if t==b',': return line[1:-2]
        if t==b'%':
            n=int(line[1:]); return [s.read() for _ in range(2*n)]
        return line
    def cmd(s,*a):
        s.s.sendall(resp(*a)); return s.read()
def timed(c,*a):
    t=time.time(); r=c.cmd(*a); return r,time.time()-t
def short(r):
    if isinstance(r,list): return 'array of %d'%len(r)
    if isinstance(r,bytes): return 'bulk of %d bytes'%len(r)
    return repr(r)[:140]
def case(name):
    return not only or name in only
import random
if case('lcs'):
    p=start(); c=C()
    random.seed(1)
    a=''.join(random.choice('abcd') for _ in range(100000)); b=''.join(random.choice('abcd') for _ in range(100000))
    c.cmd('SET','a',a); c.cmd('SET','b',b)
    try: r,t=timed(c,'LCS','a','b')
    except Exception as e: r,t=repr(e),0
    print('row1 LCS a b (2x100KB):',short(r),'%.3fs'%t,'alive:',p.poll() is None,'peak',hwm(p)); p.kill()
if case('restore'):
    p=start()
    for name,body in [('string 2^40',b'\x00\x81'+struct.pack('>Q',1<<40)+b'abc'),('LZF 2^40',b'\x00\xc3\x02\x81'+struct.pack('>Q',1<<40)+b'\x00a'),('hash 2^63+1',b'\x04\x81'+struct.pack('>Q',(1<<63)+1)+b'\x01a\x01b')]:
        try: c=C(); r=c.cmd('RESTORE','k','0',pay(body))
        except Exception as e: r=repr(e)
        print('row2/19 RESTORE',name,':',short(r),'alive:',p.poll() is None)
        if p.poll() is not None: p=start()
    p.kill()
if case('algebra'):
    p=start(); c=C()
    for i in range(0,100000,10000): c.cmd('SADD','s',*['m%d'%j for j in range(i,i+10000)])
    for i in range(0,100000,10000): c.cmd('ZADD','z',*sum([[str(j),'m%d'%j] for j in range(i,i+10000)],[]))
    base=hwm(p)
    try: r,t=timed(c,'SINTERCARD','1000',*['s']*1000,'LIMIT','1')
    except Exception as e: r,t=repr(e),0
    print('row3 SINTERCARD 1000 x s(100k) LIMIT 1:',short(r),'%.3fs'%t,'peak before',base,'after',hwm(p))
    try: r,t=timed(c,'ZUNIONSTORE','d','400',*['z']*400)
    except Exception as e: r,t=repr(e),0
    print('row3 ZUNIONSTORE d 400 x z(100k):',short(r),'%.3fs'%t,'peak',hwm(p), 'alive', p.poll() is None); p.kill()
if case('strings'):
    p=start(); c=C()
    c.cmd('SETRANGE','big',str(512*1024*1024-2),'x')
    c.cmd('SETBIT','big','1','1')
    ts=[]
    for i in range(5):
        r,t=timed(c,'SETBIT','big',str(i*1000003),'1'); ts.append(t)
    print('row6 SETBIT on 512MB: median %.6fs'%sorted(ts)[2], 'peak',hwm(p)); p.kill()
    p=start(); c=C(); chunk='y'*65536
    t=time.time()
    for i in range(1024): c.cmd('APPEND','a',chunk)
    print('row6 APPEND 64KB x 1024: %.3fs'%(time.time()-t), 'STRLEN', c.cmd('STRLEN','a'), 'peak', hwm(p)); p.kill()
if case('rand'):
    p=start(); c=C()
    c.cmd('SADD','s','a','b','c'); c.cmd('ZADD','z','1','a','2','b')
    base=hwm(p)
    r,t=timed(c,'SRANDMEMBER','s','-5000000')
    print('row11 SRANDMEMBER s -5000000:',short(r),'%.2fs'%t,'peak before',base,'after',hwm(p)); p.kill()
    p=start(); c=C(); c.cmd('ZADD','z','1','a','2','b')
    r,t=timed(c,'ZRANDMEMBER','z','-5000000','WITHSCORES')
    print('row11 ZRANDMEMBER z -5000000 WITHSCORES:',short(r),'%.2fs'%t,'peak',hwm(p)); p.kill()
if case('debug'):
    p=start(); c=C()
    r,t=timed(c,'DEBUG','SLEEP','1')
    print('row14 DEBUG SLEEP 1:',short(r),'%.2fs'%t); p.kill()
if case('config'):
    p=start(); c=C()
    for a in [('hz','-1'),('proto-max-bulk-len','-1'),('maxclients','-1'),('active-expire-effort','0'),('save','garbage'),('client-output-buffer-limit','garbage'),('dir','/tmp'),('enable-debug-command','yes')]:
        print('row15 CONFIG SET %s %s:'%a, short(c.cmd('CONFIG','SET',*a)))
    p.kill()
if case('inline'):
    p=start(); s=socket.create_connection(('127.0.0.1',PORT)); s.settimeout(1)
    s.sendall(b'SET a\x00b c\r\nPING\r\n'); out=b''
    try:
        while True:
            d=s.recv(1000)
            if not d: break
            out+=d
    except: pass
    print('row16 inline "SET a\\0b c\\r\\nPING\\r\\n":',out); p.kill()
if case('auth'):
    p=start(); a=C(); a.cmd('CONFIG','SET','requirepass','pw'); b=C()
    print('row17 HELLO 3 before AUTH:',short(b.cmd('HELLO','3')))
    a.cmd('CONFIG','SET','requirepass','')
    print('row18 GET after requirepass "":',short(b.cmd('GET','k'))); p.kill()
if case('nul'):
    p=start(); c=C(); c.cmd('ZADD','z','0','a','1','b')
    print('row19 ZRANGEBYSCORE z "\\0" 10:',short(c.cmd('ZRANGEBYSCORE','z','\x00','10'))); p.kill()
