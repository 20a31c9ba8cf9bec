#!/usr/bin/env python3
"""Seed 004 topics from Python: an agent that registers in a namespace, subscribes to topics, prints each message it
receives and answers it on a reply topic (linked by thread and in_response_to); or, with --publish, publishes one
message and prints its id. Standard library plus `websockets` (10.x and later), like agent.py.

    python3 examples/python/topics_agent.py --url "$SWITCHBOARD_URL" --namespace crew --subscribe questions --reply-to answers
    python3 examples/python/topics_agent.py --url "$SWITCHBOARD_URL" --namespace crew --publish questions '{"ask": "why?"}'

Ids are decimal strings (64-bit GemstoneID-like ids do not fit a JSON number exactly): keep them as strings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any, Dict, List, Optional

try:
    import websockets
except ModuleNotFoundError:
    sys.exit(f"topics_agent.py needs the websockets package, which {sys.executable} cannot import: run "
             f"`{sys.executable} -m pip install websockets`, or use Debian's /usr/bin/python3 with python3-websockets.")


def log(text: str) -> None:
    print(text, flush=True)


async def register(ws: Any, name: str, namespace: str) -> str:
    await ws.send(json.dumps({"message_type": "REGISTER_AGENT", "agent_name": name, "namespace": namespace}))
    answer = json.loads(await ws.recv())
    if answer.get("message_type") != "REGISTER_AGENT_RESPONSE" or answer.get("status") != "success":
        raise RuntimeError(f"registration refused: {answer}")
    return answer["agent_id"]


async def request(ws: Any, frame: Dict[str, Any], request_id: str) -> Dict[str, Any]:
    """Send a frame with a request_id; return the HISTORY_RESPONSE that answers it (an ERROR raises)."""
    await ws.send(json.dumps({**frame, "request_id": request_id}))
    async for raw in ws:
        message = json.loads(raw)
        if message.get("request_id") != request_id:
            continue
        if message.get("message_type") == "ERROR":
            raise RuntimeError(message.get("text_payload"))
        return message
    raise RuntimeError("the hub closed the connection")


def publish_frame(topic: str, payload: Dict[str, Any], thread: Optional[List[str]] = None,
                  in_response_to: Optional[str] = None) -> Dict[str, Any]:
    frame: Dict[str, Any] = {"message_type": "PUBLISH", "topics": topic, "payload": payload}
    if thread:
        frame["thread"] = thread
    if in_response_to:
        frame["in_response_to"] = in_response_to
    return frame


async def run(args: argparse.Namespace) -> int:
    async with websockets.connect(args.url, max_size=1 << 20) as ws:
        agent_id = await register(ws, args.name, args.namespace)
        if args.publish:
            topic, payload = args.publish
            answer = await request(ws, publish_frame(topic, json.loads(payload)), "publish-1")
            log(answer["messages"][0]["id"])
            return 0
        for i, topic in enumerate(args.subscribe):
            await ws.send(json.dumps({"message_type": "SUBSCRIBE", "topic": topic}))
            await request(ws, {"message_type": "HISTORY", "topic": topic, "limit": 1}, f"ready-{i}")
        log(f"registered as {agent_id} in {args.namespace}, subscribed to {', '.join(args.subscribe)}")
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("message_type")
            if kind == "PING":
                await ws.send(json.dumps({"message_type": "PONG", "agent_id": agent_id}))
            elif kind == "TOPIC_MESSAGE":
                message = frame["message"]
                log(f"received {message['id']} on {message['topic_published_to']} from {message['sender'].get('name')}: "
                    f"{json.dumps(message['payload'])}")
                if args.reply_to and message["sender"].get("id") != agent_id:
                    thread = list(message.get("thread") or [message["id"]])
                    reply = publish_frame(args.reply_to, {"echo": message["payload"]}, thread, message["id"])
                    await ws.send(json.dumps(reply))
            elif kind == "ERROR":
                log(f"hub error: {frame.get('text_payload')}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Topics (seed 004) from a Python agent.")
    parser.add_argument("--url", default=os.environ.get("SWITCHBOARD_URL"), help="hub agent URL (default: $SWITCHBOARD_URL)")
    parser.add_argument("--name", default="py-topics", help="agent name (default: py-topics)")
    parser.add_argument("--namespace", default="default", help="topic namespace (default: default)")
    parser.add_argument("--subscribe", action="append", default=[], help="a topic to follow (repeatable)")
    parser.add_argument("--reply-to", help="answer each message received on this topic")
    parser.add_argument("--publish", nargs=2, metavar=("TOPIC", "JSON"), help="publish one message, print its id, exit")
    args = parser.parse_args()
    if not args.url:
        print("topics_agent.py: no hub URL: pass --url or set SWITCHBOARD_URL.", file=sys.stderr)
        return 2
    if not args.publish and not args.subscribe:
        print("topics_agent.py: give --subscribe TOPIC (and --reply-to) or --publish TOPIC JSON.", file=sys.stderr)
        return 2
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
