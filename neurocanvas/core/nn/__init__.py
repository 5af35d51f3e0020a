"""Neural-network modules with PyTorch's names, shapes and initialisation."""
