/* edgekd C API: load an int8 .tflite model, run it, read outputs. Stable C ABI; never aborts on bad input.
 *
 *   edgekd_model* m = NULL;
 *   if (edgekd_model_load_file("student.tflite", 1, &m) != EDGEKD_OK) puts(edgekd_last_error());
 *   edgekd_model_set_input(m, 0, x, x_bytes);
 *   edgekd_model_run(m);
 *   edgekd_model_get_output(m, 0, y, y_bytes);
 *   edgekd_model_free(m);
 *
 * Every function returns a status; on failure edgekd_last_error() (per thread) says what and where
 * (the file, op, tensor or field). A model runs one inference at a time; separate models may run
 * concurrently on separate threads. */
#ifndef EDGEKD_EDGEKD_H_
#define EDGEKD_EDGEKD_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edgekd_status {
  EDGEKD_OK = 0,
  EDGEKD_INVALID_ARGUMENT = 1, /* bad model file, unsupported op, wrong sizes, NULL pointers */
  EDGEKD_UNAVAILABLE = 2,      /* a forced EDGEKD_ISA path cannot run on this CPU / build */
  EDGEKD_INTERNAL = 3          /* anything else (out of memory, ...) */
} edgekd_status;

typedef enum edgekd_dtype {
  EDGEKD_FLOAT32 = 0,
  EDGEKD_INT32 = 2,
  EDGEKD_UINT8 = 3,
  EDGEKD_INT64 = 4,
  EDGEKD_INT8 = 9
} edgekd_dtype;

#define EDGEKD_MAX_RANK 8

typedef struct edgekd_tensor_info {
  const char* name;       /* valid while the model lives */
  int index;              /* tensor index in the file */
  int dtype;              /* edgekd_dtype (TFLite TensorType values) */
  int rank;
  int dims[EDGEKD_MAX_RANK];
  size_t bytes;
  int quantized;          /* 1 when scale / zero_point are meaningful */
  float scale;            /* per-tensor (first channel's when per channel) */
  int32_t zero_point;
} edgekd_tensor_info;

typedef struct edgekd_model edgekd_model;

edgekd_status edgekd_model_load_file(const char* path, int num_threads, edgekd_model** out);
/* The bytes are copied; the caller may free them afterwards. */
edgekd_status edgekd_model_load_bytes(const void* data, size_t size, int num_threads, edgekd_model** out);
void edgekd_model_free(edgekd_model* model);

int edgekd_model_num_inputs(const edgekd_model* model);
int edgekd_model_num_outputs(const edgekd_model* model);
edgekd_status edgekd_model_input_info(const edgekd_model* model, int i, edgekd_tensor_info* out);
edgekd_status edgekd_model_output_info(const edgekd_model* model, int i, edgekd_tensor_info* out);

edgekd_status edgekd_model_set_input(edgekd_model* model, int i, const void* data, size_t bytes);
edgekd_status edgekd_model_run(edgekd_model* model);
/* Restores the model's state (variable tensors of LSTM / SVDF ops, kept across runs) to its initial value. */
edgekd_status edgekd_model_reset_state(edgekd_model* model);
edgekd_status edgekd_model_get_output(const edgekd_model* model, int i, void* data, size_t bytes);

/* The SIMD path the model's kernels run on ("ref", "avx2", ...), and its activation arena size. */
const char* edgekd_model_path(const edgekd_model* model);
size_t edgekd_model_arena_bytes(const edgekd_model* model);
double edgekd_model_load_ms(const edgekd_model* model);

/* The last error message on this thread ("" when none). */
const char* edgekd_last_error(void);
const char* edgekd_version(void);

#ifdef __cplusplus
}
#endif

#endif /* EDGEKD_EDGEKD_H_ */
