"""N TCP listeners on 127.0.0.2, ports BASE..BASE+N-1, answering the seed's
robots.txt check ("httpd is working") for as long as the benchmark runs."""
import asyncio
import sys


async def answer(reader, writer):
    try:
        await reader.readuntil(b"\r\n")
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nhttpd is working\n")
        await writer.drain()
    except Exception:
        pass
    writer.close()


async def main(base, n, seconds):
    servers = [await asyncio.start_server(answer, "127.0.0.2", base + i) for i in range(n)]
    print("ready", flush=True)
    await asyncio.sleep(seconds)
    for s in servers:
        s.close()


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
