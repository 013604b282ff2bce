"use client";
/**
 * This tab's seat in a room, kept so a reload or a dropped connection can reclaim it: the
 * session token per tab (sessionStorage: two tabs are two players, a reload keeps this tab's
 * seat), and the last nickname for the next room (localStorage).
 */

export interface Seat {
  roomCode: string;
  playerId: string;
  sessionToken: string;
  nickname: string;
}

const SEAT_KEY = (roomCode: string) => `poseparty.seat.${roomCode}`;
const NICKNAME_KEY = "poseparty.nickname";

export function storeSeat(seat: Seat): void {
  sessionStorage.setItem(SEAT_KEY(seat.roomCode), JSON.stringify(seat));
}

export function forgetSeat(roomCode: string): void {
  sessionStorage.removeItem(SEAT_KEY(roomCode));
}

export function storedSeat(roomCode: string): Seat | null {
  try {
    const raw = sessionStorage.getItem(SEAT_KEY(roomCode));
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    if (parsed && typeof parsed === "object" && "sessionToken" in parsed && "nickname" in parsed) return parsed as Seat;
  } catch {
    // A damaged entry is just a lost seat: join again.
  }
  return null;
}

export function rememberedNickname(): string {
  try {
    return localStorage.getItem(NICKNAME_KEY) ?? "";
  } catch {
    return "";
  }
}

export function rememberNickname(nickname: string): void {
  try {
    localStorage.setItem(NICKNAME_KEY, nickname);
  } catch {
    // Private mode without storage: the nickname is simply not remembered.
  }
}

export function hasStoredSeat(roomCode: string): boolean {
  return storedSeat(roomCode) !== null;
}
