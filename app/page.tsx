import { HomeScreen } from "@/components/HomeScreen";

export default function HomePage() {
  return <HomeScreen />;
}
