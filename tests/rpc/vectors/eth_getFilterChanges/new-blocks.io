// a block filter collects the hashes of blocks sealed after it, once
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}
<< {"jsonrpc":"2.0","id":1,"result":"0xba15251c3960ffebc3ab6083b44cc4db"}
>> {"jsonrpc":"2.0","id":2,"method":"evm_mine","params":[1700000000]}
<< {"jsonrpc":"2.0","id":2,"result":"0x0"}
>> {"jsonrpc":"2.0","id":3,"method":"evm_mine","params":[1700000012]}
<< {"jsonrpc":"2.0","id":3,"result":"0x0"}
>> {"jsonrpc":"2.0","id":4,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":4,"result":["0x93ecf6bfc853f4813652e2a0254c83cdef96fd67c13e36827168128b2897238f","0xfe31782ca935b5ad82255cd95309597b708701a54b9733f318c3e1c6dc0b56fc"]}
>> {"jsonrpc":"2.0","id":5,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":5,"result":[]}
