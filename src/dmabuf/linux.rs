//! The Linux side of dmabufs: fd facts, read-only mappings, and the dma-buf ioctls for CPU
//! access and implicit synchronization.
