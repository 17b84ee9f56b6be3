import { APP_IDEA, APP_NAME } from "@/lib/config";

import styles from "./page.module.css";

export default function Home() {
  return (
    <section className={styles.hero}>
      <h1>{APP_NAME}</h1>
      <p className={styles.idea}>{APP_IDEA}</p>
      <p>
        The API answers at <code>/api/health</code>.
      </p>
    </section>
  );
}
