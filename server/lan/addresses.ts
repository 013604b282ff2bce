/**
 * The addresses phones on the same network can reach this machine at: every IPv4 address that is
 * not loopback. The first one goes into the invite link and the terminal's QR code, so interfaces
 * that phones are rarely on (container bridges, VPN tunnels) are listed after the others.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";

// Linux/macOS names of virtual interfaces: Docker and libvirt bridges, veth ends, VPN tunnels.
const VIRTUAL_INTERFACE = /^(docker|br-|veth|virbr|vmnet|vboxnet|tun|tap|utun|wg|tailscale|zt|cni|flannel|lxc|lxd)/i;

export function lanIPv4Addresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  const found: { address: string; virtual: boolean }[] = [];
  for (const [name, entries] of Object.entries(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.family !== "IPv4" || entry.internal) continue;
      // 169.254/16: a link-local address the OS picked because DHCP gave none; no phone routes to it.
      if (entry.address.startsWith("169.254.")) continue;
      if (!found.some((item) => item.address === entry.address)) found.push({ address: entry.address, virtual: VIRTUAL_INTERFACE.test(name) });
    }
  }
  // Stable: within each group the operating system's order stays.
  return [...found.filter((item) => !item.virtual), ...found.filter((item) => item.virtual)].map((item) => item.address);
}

/**
 * The LAN addresses a server listening on HOST answers on: all of them for a wildcard HOST (the
 * default 0.0.0.0), HOST itself when it is one LAN address, none when it is loopback.
 */
export function reachableLanAddresses(host: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  if (host === "0.0.0.0" || host === "::") return lanIPv4Addresses(interfaces);
  return lanIPv4Addresses(interfaces).filter((address) => address === host);
}
