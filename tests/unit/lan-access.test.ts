import type { NetworkInterfaceInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { inviteOrigin, isLoopbackHost, secureAlternative, type PageLocation } from "@/client/lanAccess";
import { lanIPv4Addresses, reachableLanAddresses } from "@/server/lan/addresses";

function at(url: string): PageLocation {
  const { protocol, host, hostname, origin, pathname, search } = new URL(url);
  return { protocol, host, hostname, origin, pathname, search };
}

const lan = { inviteOrigin: "https://192.168.1.20:3000" };

describe("invite links", () => {
  it("hand out the LAN address instead of localhost when the laptop runs HTTPS=lan", () => {
    expect(inviteOrigin(at("http://localhost:3000/r/ABCDEFG"), lan)).toBe("https://192.168.1.20:3000");
    expect(inviteOrigin(at("https://127.0.0.1:3000/r/ABCDEFG"), lan)).toBe("https://192.168.1.20:3000");
    expect(inviteOrigin(at("http://[::1]:3000/"), lan)).toBe("https://192.168.1.20:3000");
  });

  it("keep the address a phone opened (another interface than the first), over https", () => {
    expect(inviteOrigin(at("https://10.0.0.7:3000/r/ABCDEFG"), lan)).toBe("https://10.0.0.7:3000");
    expect(inviteOrigin(at("http://10.0.0.7:3000/r/ABCDEFG"), lan)).toBe("https://10.0.0.7:3000");
  });

  it("stay the page's own origin without HTTPS=lan (a deployment behind its domain), or when the laptop has no LAN address", () => {
    expect(inviteOrigin(at("https://party.example.com/r/ABCDEFG"), null)).toBe("https://party.example.com");
    expect(inviteOrigin(at("http://localhost:3000/"), null)).toBe("http://localhost:3000");
    expect(inviteOrigin(at("http://localhost:3000/"), { inviteOrigin: null })).toBe("http://localhost:3000");
  });
});

describe("the way out of an insecure page", () => {
  it("is the same page over https:// when the server serves it", () => {
    expect(secureAlternative(at("http://192.168.1.20:3000/r/ABCDEFG?testPlaylist=messi"), lan)).toBe("https://192.168.1.20:3000/r/ABCDEFG?testPlaylist=messi");
  });

  it("does not exist without HTTPS=lan", () => {
    expect(secureAlternative(at("http://192.168.1.20:3000/r/ABCDEFG"), null)).toBeNull();
  });
});

describe("loopback hosts", () => {
  it("are this computer's names only", () => {
    for (const host of ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["192.168.1.20", "localhost.example.com", "127.0.0.1.nip.io", "10.0.0.1"]) expect(isLoopbackHost(host)).toBe(false);
  });
});

describe("LAN addresses", () => {
  const entry = (address: string, internal = false, family: "IPv4" | "IPv6" = "IPv4"): NetworkInterfaceInfo =>
    ({ address, family, internal, netmask: "255.255.255.0", mac: "00:00:00:00:00:00", cidr: null }) as NetworkInterfaceInfo;

  it("are every non-internal IPv4 address, Wi-Fi and Ethernet before container bridges and VPNs", () => {
    const addresses = lanIPv4Addresses({
      lo: [entry("127.0.0.1", true), entry("::1", true, "IPv6")],
      docker0: [entry("172.17.0.1")],
      wlp2s0: [entry("192.168.1.20"), entry("fe80::1", false, "IPv6")],
      tailscale0: [entry("100.101.102.103")],
      enp3s0: [entry("10.0.0.7"), entry("169.254.3.4")],
    });
    expect(addresses).toEqual(["192.168.1.20", "10.0.0.7", "172.17.0.1", "100.101.102.103"]);
  });

  it("are those the server listens on: all for the default HOST, one for a LAN HOST, none for loopback", () => {
    const interfaces = { lo: [entry("127.0.0.1", true)], eth0: [entry("192.168.1.20")], wlan0: [entry("10.0.0.7")] };
    expect(reachableLanAddresses("0.0.0.0", interfaces)).toEqual(["192.168.1.20", "10.0.0.7"]);
    expect(reachableLanAddresses("10.0.0.7", interfaces)).toEqual(["10.0.0.7"]);
    expect(reachableLanAddresses("127.0.0.1", interfaces)).toEqual([]);
  });

  it("are empty on a computer without a network", () => {
    expect(lanIPv4Addresses({ lo: [entry("127.0.0.1", true)] })).toEqual([]);
  });
});
