// refused with -32003 naming the reason: no `to`: this chain runs no EVM bytecode
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f863827a6980843b9aca008477359400830186a080880de0b6b3a7640000826000c080a0ce19c29a08ca5983b7d827610c2f2107d1947d7f3f28fe7d797d699d9d0b1b9ba03594d678da59beb6a8ede48ee73b13015539ac364e0cb7204dfaa23f2e02dbba"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"ContractCreationNotSupported: contract creation is not supported: this chain runs no EVM bytecode","data":{"reason":"ContractCreationNotSupported"}}}
