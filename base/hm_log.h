/* Logging to stderr with a timestamp and a level.  Thread-safe (one write per line). */
#ifndef HM_LOG_H
#define HM_LOG_H

typedef enum { HM_LOG_DEBUG, HM_LOG_INFO, HM_LOG_WARN, HM_LOG_ERROR } hm_log_level_e;

void hm_log_set_level(hm_log_level_e level);
hm_log_level_e hm_log_get_level(void);
void hm_log(hm_log_level_e level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hm_debug(...) do { if (hm_log_get_level() <= HM_LOG_DEBUG) hm_log(HM_LOG_DEBUG, __VA_ARGS__); } while (0)
#define hm_info(...)  hm_log(HM_LOG_INFO, __VA_ARGS__)
#define hm_warn(...)  hm_log(HM_LOG_WARN, __VA_ARGS__)
#define hm_error(...) hm_log(HM_LOG_ERROR, __VA_ARGS__)

#endif
