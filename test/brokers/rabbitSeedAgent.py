"""A seed 001 agent of the later generation, written only with Debian's python3-pika and python3-websockets: it
registers over WebSocket (no id, no delivery field), polls its own durable agent_queue_<id> with basic_get and
manual acks, and replies over the WebSocket. Used by test/brokers/rabbitInterop.test.ts.

usage: rabbitSeedAgent.py WS_URL AMQP_URL QUEUE_PREFIX ANSWERS
"""
import asyncio
import json
import sys
from datetime import datetime, timezone

import pika
import websockets


async def main() -> None:
    ws_url, amqp_url, prefix, answers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps({"message_type": "REGISTER_AGENT", "agent_name": "pika-seed-agent"}))
        first = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if first.get("message_type") != "REGISTER_AGENT_RESPONSE" or first.get("status") != "success":
            print("REFUSED", json.dumps(first), flush=True)
            sys.exit(2)
        agent_id = first["agent_id"]
        print("WEBSOCKET_REGISTERED", agent_id, flush=True)  # progress, so a hang below is told apart from one above
        queue = f"{prefix}agent_queue_{agent_id}"
        params = pika.URLParameters(amqp_url)
        # a busy broker (other suites share it) gets a few tries and bounded waits instead of one hanging connect
        params.connection_attempts = 5
        params.retry_delay = 1
        params.socket_timeout = 5
        params.blocked_connection_timeout = 10
        conn = pika.BlockingConnection(params)
        ch = conn.channel()
        ch.queue_declare(queue=queue, durable=True)
        print("REGISTERED", agent_id, flush=True)
        done = 0
        while done < answers:
            method, _props, body = ch.basic_get(queue=queue, auto_ack=False)
            if method is None:
                conn.process_data_events(0)
                # keep the socket's own traffic flowing (status updates, heartbeats) while we poll
                try:
                    await asyncio.wait_for(ws.recv(), timeout=0.05)
                except asyncio.TimeoutError:
                    pass
                continue
            msg = json.loads(body)
            await ws.send(json.dumps({
                "message_type": "REPLY",
                "sender_id": agent_id,
                "receiver_id": msg.get("sender_id"),
                "text_payload": "pika got: " + str(msg.get("text_payload")),
                "in_reply_to_message_id": msg.get("message_id"),
                "send_timestamp": datetime.now(timezone.utc).isoformat(),
            }))
            ch.basic_ack(delivery_tag=method.delivery_tag)
            done += 1
            print("ANSWERED", msg.get("message_id"), flush=True)
        conn.close()


asyncio.run(main())
