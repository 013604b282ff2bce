import { expect, test, type Browser, type Page } from "@playwright/test";
import { E2E_BASE_URL, PHONE_VIEWPORT } from "./support/chromium";

/** A separate browser context is a separate phone: its own storage, its own socket. */
async function openPhone(browser: Browser, locale = "en-US"): Promise<Page> {
  const context = await browser.newContext({ locale, baseURL: E2E_BASE_URL, viewport: PHONE_VIEWPORT });
  return context.newPage();
}

test("a friend joins through the link and both see two members", async ({ browser }) => {
  const host = await openPhone(browser);
  await host.goto("/");
  await host.getByTestId("nickname-input").fill("Mina");
  await host.getByTestId("create-room").click();
  await expect(host).toHaveURL(/\/r\/[2-9A-Z]{7}$/);
  const code = (await host.getByTestId("room-code").textContent())?.trim() ?? "";
  expect(code).toMatch(/^[2-9A-Z]{7}$/);
  await expect(host.getByTestId("qr-code")).toBeVisible();
  const link = await host.getByTestId("room-link").inputValue();
  expect(link).toMatch(new RegExp(`/r/${code}$`));

  const friend = await openPhone(browser);
  await friend.goto(link);
  await friend.getByTestId("nickname-input").fill("Jun");
  await friend.getByTestId("join-submit").click();

  for (const page of [host, friend]) {
    await expect(page.getByTestId("member-name")).toHaveText(["Mina", "Jun"]);
    await expect(page.getByTestId("member").filter({ hasText: "Mina" }).getByTestId("host-badge")).toBeVisible();
    await expect(page.getByTestId("member").filter({ hasText: "Jun" }).getByTestId("host-badge")).toHaveCount(0);
  }

  // A reload keeps the seat: still two members, not three.
  await friend.reload();
  await expect(friend.getByTestId("member-name")).toHaveText(["Mina", "Jun"]);
  await expect(host.getByTestId("member-name")).toHaveText(["Mina", "Jun"]);

  // The host leaves: the friend becomes host.
  await host.getByTestId("leave-room").click();
  await expect(host).toHaveURL(/\/$/);
  await expect(friend.getByTestId("member-name")).toHaveText(["Jun"]);
  await expect(friend.getByTestId("host-badge")).toBeVisible();
});

test("an empty nickname shows a visible message and creates nothing", async ({ browser }) => {
  const page = await openPhone(browser);
  await page.goto("/");
  await page.getByTestId("nickname-input").fill("   ");
  await page.getByTestId("create-room").click();
  await expect(page.getByTestId("form-error")).toHaveText("Please enter a nickname.");
  await expect(page).toHaveURL(/\/$/);
});

test("an unknown room code shows a clear message, from a link or typed in", async ({ browser }) => {
  const page = await openPhone(browser);
  await page.goto("/r/ZZZZ222");
  await expect(page.getByTestId("room-error")).toContainText("No room has that code");

  await page.goto("/");
  await page.getByTestId("nickname-input").fill("Mina");
  await page.getByTestId("room-code-input").fill("zzzz-222");
  await page.getByTestId("join-room").click();
  await expect(page.getByTestId("form-error")).toHaveText("No room has that code. Check it and try again.");

  await page.getByTestId("room-code-input").fill("ABC");
  await page.getByTestId("join-room").click();
  await expect(page.getByTestId("form-error")).toContainText("7 letters and digits");
});

test("Korean browsers get Korean text, and the language choice is remembered", async ({ browser }) => {
  const page = await openPhone(browser, "ko-KR");
  await page.goto("/");
  await expect(page.getByTestId("create-room")).toHaveText("방 만들기");
  await page.getByTestId("language-switch").click();
  await expect(page.getByTestId("create-room")).toHaveText("Create room");
  await page.reload();
  await expect(page.getByTestId("create-room")).toHaveText("Create room");
});

test("a phone-sized room page fits without sideways scrolling", async ({ browser }) => {
  const page = await openPhone(browser);
  await page.goto("/");
  await page.getByTestId("nickname-input").fill("아주긴닉네임을가진사람입니다열두글자");
  await page.getByTestId("create-room").click();
  await expect(page.getByTestId("member-name")).toHaveCount(1);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
