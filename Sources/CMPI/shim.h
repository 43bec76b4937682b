#ifndef MLPD_CMPI_SHIM_H
#define MLPD_CMPI_SHIM_H
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>
/* Open MPI's handles and MPI_IN_PLACE are cast macros, which Swift does not import: each is
   returned from a function instead (functions and integer constants import as they are). */
static inline MPI_Comm mlpd_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm mlpd_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype mlpd_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype mlpd_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype mlpd_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype mlpd_mpi_long_long(void) { return MPI_LONG_LONG; }
static inline MPI_Datatype mlpd_mpi_int(void) { return MPI_INT; }
static inline MPI_Op mlpd_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Info mlpd_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline void *mlpd_mpi_in_place(void) { return MPI_IN_PLACE; }
#endif
