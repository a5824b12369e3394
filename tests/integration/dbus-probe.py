#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What an app sees of D-Bus (python3-dbus): key=value lines on stdout.

  session=<address or none>    DBUS_SESSION_BUS_ADDRESS
  getaddress=ok:<addr>|error:<name>   org.a11y.Bus.GetAddress on the session bus
  a11y=<address or none>       AT_SPI_BUS_ADDRESS
  embed=ok|error:<name>        org.a11y.atspi.Socket.Embed on the a11y bus's registry
  a11y_other=ok|error:<name>   a Ping to org.example.A11yOther on the a11y bus
  ibus=, ibus_portal=, portal_desktop=   a Ping to those names on the session bus
  notify=ok|error:<name>       org.freedesktop.Notifications.Notify
  names=<sorted list>          ListNames on the session bus (what the filter shows)
  runtime=<sorted entries of $XDG_RUNTIME_DIR>
  system_bus=absent|present    /run/dbus/system_bus_socket
  raw_bus=<connect result of --raw PATH>  a plain connect() to a path (the caller's bus)
  proxies=N, proxy_mem=ok|error:...   xdg-dbus-proxy processes seen, opening one's memory
  child_mem=ok|error:...       opening the memory of a child of ours (same user): control
Then, with --wait FILE, waits (bounded) until FILE exists: the test looks at the launch
meanwhile.
"""
import argparse
import os
import socket
import sys
import time

import dbus
import dbus.bus

T = 5


def err(e):
    return "error:" + (e.get_dbus_name() if isinstance(e, dbus.DBusException) else type(e).__name__)


def call(bus, name, path, iface, method, *args, sig=None):
    try:
        obj = bus.get_object(name, path, introspect=False)
        getattr(obj, method)(*args, dbus_interface=iface, timeout=T, signature=sig)
        return "ok"
    except Exception as e:  # noqa: BLE001 - we report what failed
        return err(e)


def open_mem(pid):
    try:
        os.close(os.open("/proc/%s/mem" % pid, os.O_RDONLY))
        return "ok"
    except OSError as e:
        return "error:" + (e.strerror or type(e).__name__)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wait")
    ap.add_argument("--raw")
    a = ap.parse_args()
    out = []
    session = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    out.append("session=%s" % (session or "none"))
    s = None
    if session:
        try:
            s = dbus.bus.BusConnection(session)
        except Exception as e:  # noqa: BLE001
            out.append("session_connect=" + err(e))
    if s:
        try:
            obj = s.get_object("org.a11y.Bus", "/org/a11y/bus", introspect=False)
            out.append("getaddress=ok:" + str(obj.GetAddress(dbus_interface="org.a11y.Bus", timeout=T)))
        except Exception as e:  # noqa: BLE001
            out.append("getaddress=" + err(e))
        for key, name in (("ibus", "org.freedesktop.IBus"), ("ibus_portal", "org.freedesktop.portal.IBus"),
                          ("portal_desktop", "org.freedesktop.portal.Desktop")):
            out.append("%s=%s" % (key, call(s, name, "/org/example/ping", "org.example.Ping", "Ping")))
        out.append("notify=" + call(s, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                                    "org.freedesktop.Notifications", "Notify", "probe", dbus.UInt32(0), "",
                                    "from the probe", "body", dbus.Array([], signature="s"),
                                    dbus.Dictionary({}, signature="sv"), dbus.Int32(-1), sig="susssasa{sv}i"))
        try:
            out.append("names=" + " ".join(sorted(str(n) for n in s.list_names() if not n.startswith(":"))))
        except Exception as e:  # noqa: BLE001
            out.append("names=" + err(e))
    a11y = os.environ.get("AT_SPI_BUS_ADDRESS")
    out.append("a11y=%s" % (a11y or "none"))
    if a11y:
        try:
            b = dbus.bus.BusConnection(a11y)
            out.append("embed=" + call(b, "org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root",
                                       "org.a11y.atspi.Socket", "Embed",
                                       dbus.Struct((b.get_unique_name(), dbus.ObjectPath("/org/a11y/atspi/accessible/root"))),
                                       sig="(so)"))
            out.append("a11y_other=" + call(b, "org.example.A11yOther", "/org/example/ping", "org.example.Ping", "Ping"))
        except Exception as e:  # noqa: BLE001
            out.append("a11y_connect=" + err(e))
    rt = os.environ.get("XDG_RUNTIME_DIR")
    if rt:
        try:
            out.append("runtime=" + " ".join(sorted(os.listdir(rt))))
        except OSError as e:
            out.append("runtime=error:%s" % e.strerror)
    out.append("system_bus=" + ("present" if os.path.exists("/run/dbus/system_bus_socket") else "absent"))
    if a.raw:
        try:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(T)
            c.connect(a.raw)
            out.append("raw_bus=connected")
        except OSError as e:
            out.append("raw_bus=error:%s" % (e.strerror or type(e).__name__))
    # The proxy's memory (it runs as the same user, in the same PID namespace): out of
    # reach; a child of ours, the same user too, is the control.
    proxies = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if f.read().split(b"\0")[0] == b"/usr/bin/xdg-dbus-proxy":
                    proxies.append(pid)
        except OSError:
            pass
    out.append("proxies=%d" % len(proxies))
    for pid in proxies[:1]:
        out.append("proxy_mem=" + open_mem(pid))
    child = os.fork()
    if child == 0:
        time.sleep(30)
        os._exit(0)
    out.append("child_mem=" + open_mem(str(child)))
    os.kill(child, 9)
    os.waitpid(child, 0)
    print("\n".join(out), flush=True)
    if a.wait:
        for _ in range(600):
            if os.path.exists(a.wait):
                break
            time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
