/** A readable message from an error thrown by $fetch or useFetch. */
export function useApiError(error: unknown): string {
  if (error && typeof error === "object") {
    const data = (error as { data?: { statusMessage?: string; message?: string } }).data;
    if (data?.statusMessage) {
      return data.statusMessage;
    }
    if ("message" in error && typeof error.message === "string") {
      return error.message;
    }
  }
  return "Something went wrong";
}
